START TRANSACTION;
CREATE TABLE provider_pacing (
    provider character varying(64) NOT NULL,
    next_send timestamp with time zone NOT NULL,
    CONSTRAINT pk_provider_pacing PRIMARY KEY (provider)
);

INSERT INTO __ef_migrations_history ("MigrationId", "ProductVersion")
VALUES ('20261222000000_ProviderPacing', '10.0.15');

COMMIT;

