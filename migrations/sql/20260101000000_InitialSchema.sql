CREATE TABLE IF NOT EXISTS __ef_migrations_history (
    "MigrationId" character varying(150) NOT NULL,
    "ProductVersion" character varying(32) NOT NULL,
    CONSTRAINT "PK___ef_migrations_history" PRIMARY KEY ("MigrationId")
);

START TRANSACTION;
CREATE TABLE operations (
    id uuid NOT NULL,
    kind character varying(16) NOT NULL,
    request_id uuid NOT NULL,
    provider character varying(64) NOT NULL,
    merchant_id character varying(64),
    partner_refund_no character varying(64),
    external_id character varying(64) NOT NULL,
    original_reference_no character varying(128),
    original_partner_reference_no character varying(128),
    original_external_id character varying(128),
    external_store_id character varying(128),
    sub_merchant_id character varying(128),
    amount numeric(20,2),
    currency character varying(3),
    reason text,
    additional_info jsonb,
    fingerprint character varying(64) NOT NULL,
    state character varying(16) NOT NULL,
    attempts integer NOT NULL,
    queries integer NOT NULL,
    next_attempt_at timestamp with time zone,
    lease_owner character varying(128),
    lease_token uuid,
    lease_until timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    completed_at timestamp with time zone,
    response_code character varying(16),
    error_code character varying(64),
    outcome_message text,
    reference_no text,
    outcome_time timestamp with time zone,
    rejection_errors jsonb,
    CONSTRAINT pk_operations PRIMARY KEY (id)
);

CREATE TABLE attempts (
    id bigint GENERATED ALWAYS AS IDENTITY,
    operation_id uuid NOT NULL,
    number integer NOT NULL,
    action character varying(16) NOT NULL,
    provider character varying(64) NOT NULL,
    external_id character varying(64) NOT NULL,
    requested_at timestamp with time zone NOT NULL,
    http_status integer,
    response_code character varying(16),
    classification character varying(32) NOT NULL,
    transport_failure character varying(32),
    latency_ms double precision NOT NULL,
    trace_id character varying(32),
    detail character varying(256),
    CONSTRAINT pk_attempts PRIMARY KEY (id),
    CONSTRAINT fk_attempts_operations_operation_id FOREIGN KEY (operation_id) REFERENCES operations (id) ON DELETE CASCADE
);

CREATE TABLE outbox (
    id uuid NOT NULL,
    type character varying(256) NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone,
    operation_id uuid,
    CONSTRAINT pk_outbox PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ux_operations_refund_key ON operations (provider, merchant_id, partner_refund_no) WHERE kind = 'refund' AND state NOT IN ('Rejected');

CREATE UNIQUE INDEX ux_operations_cancel_key ON operations (provider, original_partner_reference_no) WHERE kind = 'cancel' AND state NOT IN ('Rejected');

CREATE UNIQUE INDEX ux_operations_external_id ON operations (provider, external_id) WHERE state NOT IN ('Rejected');

CREATE UNIQUE INDEX ux_operations_rejected_request ON operations (request_id) WHERE state = 'Rejected';

CREATE INDEX ix_operations_due ON operations (next_attempt_at) WHERE state IN ('Pending', 'Sending', 'Reconciling');

CREATE UNIQUE INDEX ux_attempts_external_id ON attempts (provider, external_id);

CREATE INDEX ix_attempts_operation_id ON attempts (operation_id);

CREATE INDEX ix_outbox_unsent ON outbox (created_at) WHERE sent_at IS NULL;

CREATE INDEX ix_outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE INDEX ix_outbox_operation_id ON outbox (operation_id);

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20260101000000_InitialSchema', '10.0.0');

COMMIT;

