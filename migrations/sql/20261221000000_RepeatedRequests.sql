START TRANSACTION;
CREATE TABLE operation_requests (
    request_id uuid NOT NULL,
    operation_id uuid NOT NULL,
    received_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_operation_requests PRIMARY KEY (request_id),
    CONSTRAINT fk_operation_requests_operations_operation_id FOREIGN KEY (operation_id) REFERENCES operations (id) ON DELETE CASCADE
);

CREATE INDEX ix_operation_requests_operation_id ON operation_requests (operation_id);

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261221000000_RepeatedRequests', '10.0.15');

COMMIT;

