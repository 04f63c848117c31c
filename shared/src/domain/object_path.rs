//! The object a verification also fetches (docs/SPEC.md §25): `{"path": "/photos/cat.jpg"}` in
//! the body of `POST /v1/sources/{id}/verify`, optional. The path is the object's key under the
//! source, as the CDN reads it after `/<source>/`: not percent-encoded (a `%` is a `%`), and held
//! to what can only name an object inside the source.

use serde_json::{Map, Value};

use super::limits::MAX_VALUE_CHARS;
pub use super::validation::PathProblem;
use super::validation::{Invalid, ValidationErrors, display_key};

/// The body's key.
pub const PATH: &str = "path";

/// A path that names one object inside a source: starts with `/`, names something after it,
/// holds no scheme, no `.` or `..` segment, no `\`, `?`, `#` or control character, and at most
/// 1,024 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectPath(String);

impl ObjectPath {
    pub fn parse(value: &str) -> Result<Self, PathProblem> {
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(PathProblem::TooLong);
        }
        if value.chars().any(char::is_control) {
            return Err(PathProblem::ControlCharacters);
        }
        if value.contains("://") || value.starts_with("//") {
            return Err(PathProblem::Url);
        }
        let Some(rest) = value.strip_prefix('/') else {
            return Err(PathProblem::NotAbsolute);
        };
        if value.contains(['\\', '?', '#']) {
            return Err(PathProblem::Forbidden);
        }
        if rest.is_empty() {
            return Err(PathProblem::Root);
        }
        // Spelled out or percent-encoded (`%2e%2e`): a storage or a proxy in front of it may
        // decode either, and climb out of the prefix.
        let dot = |segment: &str| {
            let decoded = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
            decoded == "." || decoded == ".."
        };
        if rest.split('/').any(dot) {
            return Err(PathProblem::DotSegment);
        }
        Ok(Self(value.to_owned()))
    }

    /// The path as given, `/` first.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key under the source: the path without its first `/`.
    pub fn key(&self) -> &str {
        &self.0[1..]
    }

    /// The verify body's object (none for an empty body): `path`, optional (`null` is absent),
    /// and nothing else.
    pub fn from_body(body: Option<&Map<String, Value>>) -> Result<Option<Self>, ValidationErrors> {
        let mut errors = Vec::new();
        let mut path = None;
        for (key, value) in body.into_iter().flatten() {
            if key != PATH {
                errors.push(Invalid::AttributeNotSupported(display_key(key)));
                continue;
            }
            let parsed = match value {
                Value::Null => continue,
                Value::String(text) => Self::parse(text),
                _ => Err(PathProblem::NotString),
            };
            match parsed {
                Ok(parsed) => path = Some(parsed),
                Err(problem) => errors.push(Invalid::ObjectPath(problem)),
            }
        }
        if errors.is_empty() {
            Ok(path)
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(body: Value) -> Result<Option<String>, Vec<String>> {
        ObjectPath::from_body(body.as_object())
            .map(|p| p.map(|p| p.as_str().to_owned()))
            .map_err(|e| e.0.iter().map(Invalid::to_string).collect())
    }

    #[test]
    fn paths_inside_the_source_are_read_as_given() {
        for path in [
            "/photos/cat.jpg",
            "/a",
            "/dir/",
            "/with space/ü.png",
            "/100%/x.jpg",
            "/a..b/c.d",
            "/.well-known-not/x",
        ] {
            assert_eq!(read(json!({"path": path})), Ok(Some(path.to_owned())));
        }
        assert_eq!(
            ObjectPath::parse("/photos/cat.jpg").unwrap().key(),
            "photos/cat.jpg"
        );
        assert_eq!(read(json!({})), Ok(None));
        assert_eq!(read(json!({"path": null})), Ok(None));
        assert_eq!(ObjectPath::from_body(None).unwrap(), None);
        let at_limit = format!("/{}", "a".repeat(1_023));
        assert!(ObjectPath::parse(&at_limit).is_ok());
    }

    #[test]
    fn what_is_not_a_path_inside_the_source_is_refused_saying_why() {
        let too_long = format!("/{}", "a".repeat(1_024));
        for (path, problem) in [
            (
                json!("https://images.example.com/cat.jpg"),
                PathProblem::Url,
            ),
            (json!("//images.example.com/cat.jpg"), PathProblem::Url),
            (json!("/x/http://127.0.0.1/"), PathProblem::Url),
            (json!("photos/cat.jpg"), PathProblem::NotAbsolute),
            (json!(""), PathProblem::NotAbsolute),
            (json!("/"), PathProblem::Root),
            (json!("/../secret"), PathProblem::DotSegment),
            (json!("/photos/../../etc/passwd"), PathProblem::DotSegment),
            (json!("/photos/./cat.jpg"), PathProblem::DotSegment),
            (json!("/photos/%2e%2E/x"), PathProblem::DotSegment),
            (json!("/photos/.."), PathProblem::DotSegment),
            (json!("/photos\\..\\x"), PathProblem::Forbidden),
            (json!("/cat.jpg?w=1"), PathProblem::Forbidden),
            (json!("/cat.jpg#top"), PathProblem::Forbidden),
            (json!("/cat\u{0}.jpg"), PathProblem::ControlCharacters),
            (json!("/cat\n.jpg"), PathProblem::ControlCharacters),
            (json!(too_long), PathProblem::TooLong),
            (json!(7), PathProblem::NotString),
            (json!(["/a"]), PathProblem::NotString),
        ] {
            assert_eq!(
                read(json!({"path": path})),
                Err(vec![problem.to_string()]),
                "{path}"
            );
        }
        assert_eq!(
            read(json!({"path": "/a", "deep": true})),
            Err(vec!["Attribute deep is not supported".to_owned()])
        );
    }
}
