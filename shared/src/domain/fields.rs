//! The names of the API's JSON fields: the response serializer, the request reader and the
//! OpenAPI document (`image-sources openapi`) all use these, so a rename here renames them all.

/// The body's one top-level key on create and update, and the name attribute inside it.
pub const SOURCE: &str = "source";
pub const ID: &str = "id";
pub const SOURCE_TYPE: &str = "source_type";
/// Whether the CDN serves the source (docs/SPEC.md §12).
pub const ENABLED: &str = "enabled";
/// The stored credentials, as responses show them.
pub const CREDENTIALS: &str = "credentials";
/// The credentials a request sets.
pub const CREDENTIAL_ATTRIBUTES: &str = "credential_attributes";
pub const CREATED_AT: &str = "created_at";
pub const UPDATED_AT: &str = "updated_at";
/// When a storage secret last changed (docs/SPEC.md §21).
pub const SECRETS_UPDATED_AT: &str = "secrets_updated_at";
pub const REQUIRE_TOKEN: &str = "require_token";
pub const SECRET_TOKEN: &str = "secret_token";
/// The token a rotation replaced, shown while its grace period runs (docs/SPEC.md §13).
pub const PREVIOUS_SECRET_TOKEN: &str = "previous_secret_token";
pub const PREVIOUS_SECRET_TOKEN_EXPIRES_AT: &str = "previous_secret_token_expires_at";
/// The body of a rotation: how long the replaced token keeps working, in seconds.
pub const GRACE_PERIOD: &str = "grace_period";
/// Where the CDN serves the source, derived from the operator's settings (docs/SPEC.md §25).
pub const URLS: &str = "urls";
/// The credential keys only the server sets.
pub const READ_ONLY_CREDENTIALS: [&str; 3] = [
    SECRET_TOKEN,
    PREVIOUS_SECRET_TOKEN,
    PREVIOUS_SECRET_TOKEN_EXPIRES_AT,
];
