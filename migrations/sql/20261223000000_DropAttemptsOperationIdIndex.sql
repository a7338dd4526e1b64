START TRANSACTION;
DROP INDEX ix_attempts_operation_id;

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261223000000_DropAttemptsOperationIdIndex', '10.0.15');

COMMIT;

