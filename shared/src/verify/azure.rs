//! The Azure check (docs/SPEC.md §14): with the SAS token, list one blob of the container
//! (https://learn.microsoft.com/rest/api/storageservices/list-blobs) or one file of the share's
//! root (https://learn.microsoft.com/rest/api/storageservices/list-directories-and-files).

use hyper::http::{HeaderMap, Method};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::client::{Client, ReadBudget};
use super::object::{KEY_PATH, ObjectRequest, Origin};
use super::outcome::{CheckName, Checks, Ending, Problem};
use crate::domain::{AzureService, CredentialRole, Credentials, ObjectPath, SourceType};

pub(crate) struct Target {
    pub service: AzureService,
    /// The list request, SAS token included: never logged, never in a message.
    url: url::Url,
    /// `<endpoint>/<container or share>/<prefix>`, for an object's URL.
    resource_base: String,
    /// The SAS token without its `?`: secret.
    sas: secrecy::SecretString,
}

impl Target {
    /// `endpoint_override` replaces `https://<account>.<service>.core.windows.net` (Azurite's is
    /// `http://127.0.0.1:10000/devstoreaccount1`).
    pub fn of(
        credentials: &Credentials,
        endpoint_override: impl Fn(AzureService) -> Option<url::Url>,
    ) -> Result<Self, Problem> {
        let value = |role: CredentialRole| {
            credentials
                .by_role(SourceType::Azure, role)
                .and_then(|v| v.clear())
                .map(str::to_owned)
        };
        let account = value(CredentialRole::AzureAccount).unwrap_or_default();
        let service = credentials.azure_service().unwrap_or(AzureService::Blob);
        let host = service.host_label();
        // The List Blobs request lists a container; List Directories and Files, a directory
        // (the share's root).
        let restype = match service {
            AzureService::Blob => "container",
            AzureService::FileShare => "directory",
        };
        let resource = credentials
            .get(service.resource_key())
            .and_then(|v| v.clear())
            .map(str::to_owned);
        let resource = resource.ok_or(Problem::Unsupported(
            "The source names no container or share to check",
        ))?;
        let base = match endpoint_override(service) {
            Some(base) => base.as_str().trim_end_matches('/').to_owned(),
            None => format!("https://{account}.{host}.core.windows.net"),
        };
        let sas = value(CredentialRole::Secret).unwrap_or_default();
        let sas = sas.trim_start_matches('?');
        let mut text = format!(
            "{base}/{}?restype={restype}&comp=list&maxresults=1",
            utf8_percent_encode(&resource, NON_ALPHANUMERIC)
        );
        if let Some(prefix) = value(CredentialRole::Prefix).filter(|p| !p.is_empty()) {
            text.push_str("&prefix=");
            text.push_str(&utf8_percent_encode(&prefix, NON_ALPHANUMERIC).to_string());
        }
        if !sas.is_empty() {
            text.push('&');
            text.push_str(sas);
        }
        let url = url::Url::parse(&text)
            .map_err(|_| Problem::Unsupported("The account's endpoint is not a URL"))?;
        let prefix = value(CredentialRole::Prefix).unwrap_or_default();
        let resource_base = format!(
            "{base}/{}/{}",
            utf8_percent_encode(&resource, NON_ALPHANUMERIC),
            utf8_percent_encode(&prefix, KEY_PATH)
        );
        Ok(Self {
            service,
            url,
            resource_base,
            sas: sas.to_owned().into(),
        })
    }

    /// A `GET` of the blob or file at `path` under the prefix, with the SAS token (docs/SPEC.md
    /// §25; https://learn.microsoft.com/rest/api/storageservices/get-blob, /get-file).
    pub fn object(&self, path: &ObjectPath) -> Option<ObjectRequest> {
        use secrecy::ExposeSecret;
        let mut text = format!(
            "{}{}",
            self.resource_base,
            utf8_percent_encode(path.key(), KEY_PATH)
        );
        if !self.sas.expose_secret().is_empty() {
            text.push('?');
            text.push_str(self.sas.expose_secret());
        }
        Some(ObjectRequest {
            url: url::Url::parse(&text).ok()?,
            headers: HeaderMap::new(),
            origin: Origin::Storage,
        })
    }
}

/// Azure's error code (`x-ms-error-code`), for telling refused credentials from a missing
/// container.
fn error_code(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-ms-error-code")?.to_str().ok()
}

pub(crate) async fn check(
    client: &Client,
    target: &Target,
    checks: &mut Checks,
    budget: &mut ReadBudget,
) -> Ending {
    let request = (Method::GET, &target.url, HeaderMap::new());
    let answer = match client
        .send_checked(request, budget, checks, CheckName::List)
        .await
    {
        Ok(answer) => answer,
        Err(problem) => return Ending::Failed(problem),
    };
    let status = answer.status;
    let what = target.service.resource_noun();
    match status {
        200..=299 => {
            checks.ok(CheckName::Authenticate);
            checks.ok(CheckName::List);
            Ending::Ok
        }
        404 => {
            checks.ok(CheckName::Authenticate);
            checks.failed(CheckName::List);
            Ending::Failed(Problem::BucketNotFound { status, what })
        }
        401 | 403 => {
            // AuthorizationPermissionMismatch and the like: a valid token that may not list.
            if error_code(&answer.headers).is_some_and(|c| c.starts_with("AuthorizationPermission"))
            {
                checks.ok(CheckName::Authenticate);
                checks.failed(CheckName::List);
                Ending::Failed(Problem::AccessRefused { status })
            } else {
                checks.failed(CheckName::Authenticate);
                Ending::Failed(Problem::CredentialsRefused { status })
            }
        }
        _ => {
            checks.failed(CheckName::List);
            Ending::Failed(Problem::HttpStatus { status })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceType;

    fn credentials(pairs: &[(&str, &str)]) -> Credentials {
        let values = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Credentials::from_clear(SourceType::Azure, values).unwrap()
    }

    #[test]
    fn a_file_share_lists_the_shares_root_at_the_file_endpoint() {
        let target = Target::of(
            &credentials(&[
                ("account_name", "acct"),
                ("service_type", "file-share"),
                ("share_name", "media"),
                ("sas_token", "?sv=2024-11-04&sig=abc"),
                ("prefix", "a b/"),
            ]),
            |_| None,
        )
        .unwrap();
        assert_eq!(target.service, AzureService::FileShare);
        assert_eq!(
            target.url.as_str(),
            "https://acct.file.core.windows.net/media?restype=directory&comp=list&maxresults=1&prefix=a%20b%2F&sv=2024-11-04&sig=abc"
        );
    }

    #[test]
    fn a_blob_container_lists_one_blob_at_the_blob_endpoint() {
        let target = Target::of(
            &credentials(&[
                ("account_name", "acct"),
                ("service_type", "blob"),
                ("container_name", "images"),
                ("sas_token", "sv=2024-11-04&sig=abc"),
            ]),
            |_| None,
        )
        .unwrap();
        assert_eq!(
            target.url.as_str(),
            "https://acct.blob.core.windows.net/images?restype=container&comp=list&maxresults=1&sv=2024-11-04&sig=abc"
        );
    }
}
