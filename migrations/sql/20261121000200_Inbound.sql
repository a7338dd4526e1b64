START TRANSACTION;
CREATE TABLE inbound_access_tokens (
    token_hash bytea NOT NULL,
    partner_name character varying(100) NOT NULL,
    issued_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_inbound_access_tokens PRIMARY KEY (token_hash)
);

CREATE TABLE cvs_payment_codes (
    pay_no character varying(12) NOT NULL,
    partner_service_id character varying(4) NOT NULL,
    customer_no character varying(8) NOT NULL,
    pay_no_name character varying(100) NOT NULL,
    goods_name character varying(200) NOT NULL,
    pay_no_phone character varying(15),
    pay_no_email character varying(100),
    amount numeric(18,2) NOT NULL,
    currency character varying(3) NOT NULL,
    partner_reference_no character varying(40) NOT NULL,
    mitra_cd character varying(4),
    expires_at timestamp with time zone NOT NULL,
    issued_message_sent_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_cvs_payment_codes PRIMARY KEY (pay_no)
);

CREATE TABLE cvs_payment_code_closures (
    pay_no character varying(12) NOT NULL,
    reason character varying(100) NOT NULL,
    closed_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_cvs_payment_code_closures PRIMARY KEY (pay_no)
);

CREATE TABLE cvs_inquiries (
    inquiry_request_id character varying(40) NOT NULL,
    partner_name character varying(100) NOT NULL,
    request_fingerprint character(64) NOT NULL,
    pay_no character varying(12) NOT NULL,
    external_id character varying(40) NOT NULL,
    http_status integer NOT NULL,
    response_code character(7) NOT NULL,
    response_body text NOT NULL,
    answered_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_cvs_inquiries PRIMARY KEY (inquiry_request_id)
);

CREATE TABLE inbound_external_ids (
    partner_name character varying(100) NOT NULL,
    business_date date NOT NULL,
    external_id character varying(40) NOT NULL,
    inquiry_request_id character varying(40) NOT NULL,
    received_at timestamp with time zone NOT NULL,
    CONSTRAINT pk_inbound_external_ids PRIMARY KEY (partner_name, business_date, external_id)
);

CREATE INDEX ix_inbound_access_tokens_expires_at ON inbound_access_tokens (expires_at);

CREATE INDEX ix_cvs_inquiries_pay_no ON cvs_inquiries (pay_no);

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261121000200_Inbound', '10.0.0');

COMMIT;

