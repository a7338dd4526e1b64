START TRANSACTION;
ALTER TABLE outbox ADD unroutable_count integer NOT NULL DEFAULT 0;

ALTER TABLE outbox ADD unroutable_at timestamp with time zone;

ALTER TABLE outbox ADD unroutable_reason character varying(256);

ALTER TABLE outbox ADD next_attempt_at timestamp with time zone;

CREATE INDEX ix_outbox_unroutable ON outbox (unroutable_at) WHERE sent_at IS NULL AND unroutable_at IS NOT NULL;

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261125000000_OutboxUnroutable', '10.0.0');

COMMIT;

