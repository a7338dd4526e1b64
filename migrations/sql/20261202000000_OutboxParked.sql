START TRANSACTION;
ALTER TABLE outbox ADD parked_at timestamp with time zone;

ALTER TABLE outbox ADD parked_reason character varying(512);

CREATE INDEX ix_outbox_parked ON outbox (parked_at) WHERE parked_at IS NOT NULL;

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261202000000_OutboxParked', '10.0.0');

COMMIT;

