START TRANSACTION;
DROP INDEX ux_operations_rejected_request;

CREATE UNIQUE INDEX ux_operations_rejected_request ON operations (request_id) WHERE state = 'Rejected' AND request_id <> '00000000-0000-0000-0000-000000000000'::uuid;

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261201000000_RejectedRequestIdIndex', '10.0.0');

COMMIT;

