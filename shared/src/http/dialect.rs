//! Which wire format a request is answered in (docs/SPEC.md §24): the native one, or imgix's
//! JSON:API dialect. Told from the API the request came through, never from anything the client
//! sends: the imgix API's stage (and the local gateway's imgix port) sets a stage variable.

use lambda_http::{Request, RequestExt};

/// The stage variable that names the dialect, and its value on the imgix API's stage.
pub const DIALECT_STAGE_VARIABLE: &str = "dialect";
pub const IMGIX_DIALECT: &str = "imgix";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// ImageBoss's format (docs/SPEC.md Parts I–III).
    #[default]
    Native,
    /// imgix's Management API (docs/SPEC.md §24).
    Imgix,
}

impl Dialect {
    /// The dialect of the API `req` came through.
    pub fn of(req: &Request) -> Dialect {
        Self::of_stage_variable(
            req.stage_variables_ref()
                .and_then(|variables| variables.first(DIALECT_STAGE_VARIABLE)),
        )
    }

    /// The dialect a stage's `dialect` variable names (the authorizer reads it from its event).
    pub fn of_stage_variable(value: Option<&str>) -> Dialect {
        match value {
            Some(IMGIX_DIALECT) => Dialect::Imgix,
            _ => Dialect::Native,
        }
    }
}
