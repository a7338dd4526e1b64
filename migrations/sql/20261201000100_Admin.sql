START TRANSACTION;
CREATE TABLE dead_letters (
    id uuid NOT NULL,
    source_queue character varying(256) NOT NULL,
    original_queue character varying(256) NOT NULL,
    message_id character varying(256),
    message_type character varying(512),
    body bytea NOT NULL,
    body_size integer NOT NULL,
    body_truncated boolean NOT NULL,
    replayable boolean NOT NULL,
    content_type character varying(256),
    headers jsonb NOT NULL,
    fault_reason character varying(64),
    exception_type character varying(512),
    exception_message text,
    stack_trace text,
    fingerprint character varying(32) NOT NULL,
    first_failed_at timestamp with time zone NOT NULL,
    last_failed_at timestamp with time zone NOT NULL,
    failures integer NOT NULL,
    status character varying(16) NOT NULL,
    replay_count integer NOT NULL,
    replays jsonb NOT NULL,
    status_changed_at timestamp with time zone,
    discarded_by character varying(128),
    discard_reason text,
    delivery_key character varying(64) NOT NULL,
    received_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_dead_letters PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ux_dead_letters_delivery_key ON dead_letters (delivery_key);

CREATE INDEX ix_dead_letters_fingerprint_status ON dead_letters (fingerprint, status);

CREATE INDEX ix_dead_letters_status_changed_at ON dead_letters (status, status_changed_at);

CREATE INDEX ix_dead_letters_last_failed_at ON dead_letters (last_failed_at);

CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    at timestamp with time zone NOT NULL,
    actor character varying(128) NOT NULL,
    role character varying(16),
    action character varying(64) NOT NULL,
    target character varying(256) NOT NULL,
    reason text,
    outcome character varying(16) NOT NULL,
    status_code integer NOT NULL,
    detail jsonb,
    request_id character varying(128),
    CONSTRAINT pk_audit_log PRIMARY KEY (id)
);

CREATE INDEX ix_audit_log_at ON audit_log (at);

CREATE INDEX ix_audit_log_target ON audit_log (target);

CREATE INDEX ix_audit_log_actor ON audit_log (actor);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE admin_jobs (
    id uuid NOT NULL,
    kind character varying(64) NOT NULL,
    status character varying(16) NOT NULL,
    actor character varying(128) NOT NULL,
    reason text NOT NULL,
    request jsonb NOT NULL,
    total integer NOT NULL,
    done integer NOT NULL,
    skipped integer NOT NULL,
    failed integer NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    error text,
    CONSTRAINT pk_admin_jobs PRIMARY KEY (id)
);

CREATE TABLE provider_pauses (
    provider character varying(64) NOT NULL,
    paused boolean NOT NULL,
    reason text NOT NULL,
    changed_by character varying(128) NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_provider_pauses PRIMARY KEY (provider)
);

CREATE TABLE operation_resolutions (
    operation_id uuid NOT NULL,
    outcome character varying(16) NOT NULL,
    reference_no character varying(128),
    evidence text NOT NULL,
    reason text NOT NULL,
    resolved_by character varying(128) NOT NULL,
    resolved_at timestamp with time zone NOT NULL,
    event_id uuid NOT NULL,
    request_id character varying(128),
    CONSTRAINT pk_operation_resolutions PRIMARY KEY (operation_id),
    CONSTRAINT fk_operation_resolutions_operations_operation_id FOREIGN KEY (operation_id) REFERENCES operations (id) ON DELETE CASCADE
);

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261201000100_Admin', '10.0.0');

COMMIT;

