-- The schema that Base.metadata.create_all of commit 449dd57 made on postgresql (DDL compiled by SQLAlchemy).
CREATE TABLE clients (
	id SERIAL NOT NULL, 
	client_id VARCHAR(64) NOT NULL, 
	secret_digest VARCHAR(64), 
	name VARCHAR(200) NOT NULL, 
	redirect_uris JSON NOT NULL, 
	post_logout_redirect_uris JSON NOT NULL, 
	first_party BOOLEAN NOT NULL, 
	require_pkce BOOLEAN NOT NULL, 
	scope TEXT NOT NULL, 
	created_at INTEGER NOT NULL, 
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_clients_client_id ON clients (client_id);

CREATE TABLE sso_sessions (
	id_digest VARCHAR(64) NOT NULL, 
	login VARCHAR(64) NOT NULL, 
	sub VARCHAR(64) NOT NULL, 
	auth_time INTEGER NOT NULL, 
	amr JSON NOT NULL, 
	remember BOOLEAN NOT NULL, 
	created_at INTEGER NOT NULL, 
	last_seen_at INTEGER NOT NULL, 
	expires_at INTEGER NOT NULL, 
	ended_at INTEGER, 
	PRIMARY KEY (id_digest)
);

CREATE INDEX ix_sso_sessions_login ON sso_sessions (login);

CREATE TABLE authorization_codes (
	id SERIAL NOT NULL, 
	code_digest VARCHAR(64) NOT NULL, 
	client_id VARCHAR(64) NOT NULL, 
	login VARCHAR(64) NOT NULL, 
	sub VARCHAR(64) NOT NULL, 
	redirect_uri TEXT NOT NULL, 
	scope TEXT NOT NULL, 
	nonce TEXT, 
	auth_time INTEGER NOT NULL, 
	amr JSON NOT NULL, 
	code_challenge TEXT, 
	code_challenge_method VARCHAR(10), 
	sso_session VARCHAR(64), 
	created_at INTEGER NOT NULL, 
	expires_at INTEGER NOT NULL, 
	used_at INTEGER, 
	PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ix_authorization_codes_code_digest ON authorization_codes (code_digest);

CREATE INDEX ix_authorization_codes_client_id ON authorization_codes (client_id);

CREATE TABLE consents (
	id SERIAL NOT NULL, 
	login VARCHAR(64) NOT NULL, 
	client_id VARCHAR(64) NOT NULL, 
	scope TEXT NOT NULL, 
	granted_at INTEGER NOT NULL, 
	revoked_at INTEGER, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_consents_login ON consents (login);

CREATE TABLE reset_tokens (
	id SERIAL NOT NULL, 
	token_digest VARCHAR(64) NOT NULL, 
	login VARCHAR(64) NOT NULL, 
	channel VARCHAR(8) NOT NULL, 
	code_digest VARCHAR(64), 
	created_at INTEGER NOT NULL, 
	expires_at INTEGER NOT NULL, 
	attempts INTEGER NOT NULL, 
	used_at INTEGER, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_reset_tokens_login ON reset_tokens (login);

CREATE UNIQUE INDEX ix_reset_tokens_token_digest ON reset_tokens (token_digest);

CREATE TABLE outbox (
	id SERIAL NOT NULL, 
	"to" VARCHAR(320) NOT NULL, 
	subject TEXT NOT NULL, 
	text_body TEXT, 
	html_body TEXT, 
	template VARCHAR(64) NOT NULL, 
	locale VARCHAR(8) NOT NULL, 
	message_id VARCHAR(200) NOT NULL, 
	created_at INTEGER NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	attempts INTEGER NOT NULL, 
	next_attempt_at INTEGER NOT NULL, 
	claimed_at INTEGER, 
	last_error TEXT, 
	sent_at INTEGER, 
	PRIMARY KEY (id)
);

CREATE INDEX ix_outbox_next_attempt_at ON outbox (next_attempt_at);

CREATE INDEX ix_outbox_status ON outbox (status);

CREATE TABLE help_requests (
	id SERIAL NOT NULL, 
	reference VARCHAR(16) NOT NULL, 
	created_at INTEGER NOT NULL, 
	status VARCHAR(10) NOT NULL, 
	school VARCHAR(8) NOT NULL, 
	parent_name VARCHAR(200) NOT NULL, 
	email VARCHAR(254), 
	phone VARCHAR(20), 
	child_name VARCHAR(200) NOT NULL, 
	child_class VARCHAR(40), 
	login VARCHAR(64), 
	problem VARCHAR(20) NOT NULL, 
	message TEXT NOT NULL, 
	answer TEXT, 
	answered_by VARCHAR(64), 
	answered_at INTEGER, 
	closed_at INTEGER, 
	closed_by VARCHAR(64), 
	address VARCHAR(64), 
	PRIMARY KEY (id)
);

CREATE INDEX ix_help_requests_school ON help_requests (school);

CREATE UNIQUE INDEX ix_help_requests_reference ON help_requests (reference);

CREATE INDEX ix_help_requests_status ON help_requests (status);

CREATE INDEX ix_help_requests_created_at ON help_requests (created_at);

CREATE TABLE tokens (
	id SERIAL NOT NULL, 
	access_digest VARCHAR(64) NOT NULL, 
	refresh_digest VARCHAR(64), 
	client_id VARCHAR(64) NOT NULL, 
	login VARCHAR(64) NOT NULL, 
	sub VARCHAR(64) NOT NULL, 
	scope TEXT NOT NULL, 
	auth_time INTEGER NOT NULL, 
	issued_at INTEGER NOT NULL, 
	expires_at INTEGER NOT NULL, 
	refresh_expires_at INTEGER, 
	code_id INTEGER, 
	family VARCHAR(64) NOT NULL, 
	refreshed_at INTEGER, 
	revoked_at INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(code_id) REFERENCES authorization_codes (id)
);

CREATE INDEX ix_tokens_code_id ON tokens (code_id);

CREATE INDEX ix_tokens_client_id ON tokens (client_id);

CREATE INDEX ix_tokens_login ON tokens (login);

CREATE INDEX ix_tokens_family ON tokens (family);

CREATE UNIQUE INDEX ix_tokens_access_digest ON tokens (access_digest);

CREATE UNIQUE INDEX ix_tokens_refresh_digest ON tokens (refresh_digest);

