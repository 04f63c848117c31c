//! The S3-compatible check (docs/SPEC.md §14): a SigV4-signed `ListObjectsV2` of one key under the
//! prefix at the endpoint the provider documents, then, when the listing is refused, a signed
//! `HEAD` of a random key, which tells "may read but not list" from "may not touch this bucket".

use std::time::SystemTime;

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use hyper::http::{HeaderMap, HeaderName, HeaderValue, Method};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::client::{Answer, Client, ReadBudget};
use super::object::{KEY_PATH, ObjectRequest, Origin};
use super::outcome::{CheckName, Checks, Ending, Problem};
use crate::domain::{CredentialRole, Credentials, ObjectPath, SourceType, is_provider_region};

/// What signs and addresses the requests for one source.
pub(crate) struct Target {
    pub source_type: SourceType,
    /// `https://host[/bucket]`: the bucket's base, without a trailing slash.
    pub base: url::Url,
    pub region: String,
    pub access_key: String,
    secret: secrecy::SecretString,
    pub prefix: String,
}

/// SigV4's unreserved characters (RFC 3986): everything else is percent-encoded in the query.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

impl Target {
    /// The endpoint of `credentials`' bucket as its provider documents it; `endpoint_override`
    /// (tests, local emulators) replaces the scheme, host and port and addresses the bucket by
    /// path. `Err` for a source that cannot be checked from what it stores.
    pub fn of(
        source_type: SourceType,
        credentials: &Credentials,
        endpoint_override: Option<&url::Url>,
    ) -> Result<Self, Problem> {
        let value = |role: CredentialRole| {
            credentials
                .by_role(source_type, role)
                .and_then(|v| v.clear())
                .map(str::to_owned)
        };
        let mut bucket = value(CredentialRole::Bucket).unwrap_or_default();
        let mut prefix = value(CredentialRole::Prefix).unwrap_or_default();
        // Akamai's `bucket` is a CP code with an optional directory: the bucket is the CP code,
        // the directory goes before the prefix.
        if source_type == SourceType::Akamai
            && let Some((code, directory)) = bucket.clone().split_once('/')
        {
            let directory = directory.trim_matches('/');
            if !directory.is_empty() {
                prefix = format!("{directory}/{prefix}");
            }
            bucket = code.to_owned();
        }
        let (Some(access_key), Some(secret)) = (
            value(CredentialRole::AccessKey),
            value(CredentialRole::Secret),
        ) else {
            return Err(Problem::Unsupported(
                "The source has no credentials to sign with",
            ));
        };
        let region = value(CredentialRole::Region);
        // (host, signing region, virtual-hosted bucket?)
        let (host, signing_region, virtual_host) = match source_type {
            // https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html: a bucket
            // with dots would not match the wildcard certificate, so it goes in the path.
            SourceType::S3 => {
                let region = region.unwrap_or_default();
                (
                    format!("s3.{region}.amazonaws.com"),
                    region,
                    !bucket.contains('.'),
                )
            }
            // https://cloud.google.com/storage/docs/interoperability: the XML API, HMAC keys,
            // region "auto".
            SourceType::Gcs => (
                "storage.googleapis.com".to_owned(),
                "auto".to_owned(),
                false,
            ),
            // https://docs.digitalocean.com/products/spaces/reference/s3-compatibility/: the
            // region's endpoint; SDKs sign for us-east-1.
            SourceType::Dos => (
                format!("{}.digitaloceanspaces.com", region.unwrap_or_default()),
                "us-east-1".to_owned(),
                false,
            ),
            // https://developers.cloudflare.com/r2/api/s3/api/: the account's endpoint, "auto".
            SourceType::R2 => match value(CredentialRole::AccountId) {
                Some(account) => (
                    format!("{account}.r2.cloudflarestorage.com"),
                    "auto".to_owned(),
                    false,
                ),
                None => {
                    return Err(Problem::Unsupported(
                        "An R2 source needs account_id to be checked: its endpoint is the account's",
                    ));
                }
            },
            // https://docs.wasabi.com/docs/what-are-the-service-urls-for-wasabi-s-different-storage-regions
            SourceType::Wasabi => {
                let region = region.unwrap_or_else(|| "us-east-1".to_owned());
                (format!("s3.{region}.wasabisys.com"), region, false)
            }
            // Akamai (Linode) Object Storage: the given endpoint, its first label the region
            // (https://techdocs.akamai.com/cloud-computing/docs/object-storage).
            SourceType::Akamai => {
                let endpoint = value(CredentialRole::Url)
                    .and_then(|e| url::Url::parse(&e).ok())
                    .and_then(|e| e.host_str().map(str::to_owned))
                    .ok_or(Problem::Unsupported("The source's endpoint has no host"))?;
                let region = endpoint
                    .split('.')
                    .next()
                    .filter(|label| is_provider_region(SourceType::Akamai, label))
                    .unwrap_or("us-east-1")
                    .to_owned();
                (endpoint, region, false)
            }
            SourceType::Azure | SourceType::Url | SourceType::Proxy => {
                return Err(Problem::Unsupported("Not an S3-compatible source"));
            }
        };
        let base = match endpoint_override {
            Some(base) => format!("{}/{}", base.as_str().trim_end_matches('/'), bucket),
            None if virtual_host => format!("https://{bucket}.{host}"),
            None => format!("https://{host}/{bucket}"),
        };
        let base = url::Url::parse(&base)
            .map_err(|_| Problem::Unsupported("The bucket's endpoint is not a URL"))?;
        Ok(Self {
            source_type,
            base,
            region: signing_region,
            access_key,
            secret: secret.into(),
            prefix,
        })
    }

    fn url(&self, key: Option<&str>, query: &[(&str, &str)]) -> Option<url::Url> {
        let mut text = self.base.as_str().trim_end_matches('/').to_owned();
        text.push('/');
        if let Some(key) = key {
            text.push_str(&utf8_percent_encode(key, KEY_PATH).to_string());
        }
        let pairs: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect();
        if !pairs.is_empty() {
            text.push('?');
            text.push_str(&pairs.join("&"));
        }
        url::Url::parse(&text).ok()
    }

    /// A signed `GET` of the object at `path` under the prefix (docs/SPEC.md §25).
    pub fn object(&self, path: &ObjectPath) -> Option<ObjectRequest> {
        let url = self.url(Some(&format!("{}{}", self.prefix, path.key())), &[])?;
        let headers = self.signed_headers(&Method::GET, &url)?;
        Some(ObjectRequest {
            url,
            headers,
            origin: Origin::Storage,
        })
    }

    /// SigV4 headers for `method url` with an empty body.
    fn signed_headers(&self, method: &Method, url: &url::Url) -> Option<HeaderMap> {
        use secrecy::ExposeSecret;
        let identity: Identity = AwsCredentials::new(
            &self.access_key,
            self.secret.expose_secret(),
            None,
            None,
            "image-sources-verify",
        )
        .into();
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("s3")
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .ok()?
            .into();
        let host = &url[url::Position::BeforeHost..url::Position::AfterPort];
        let signable = SignableRequest::new(
            method.as_str(),
            url.as_str(),
            std::iter::once(("host", host)),
            SignableBody::Bytes(&[]),
        )
        .ok()?;
        let (instructions, _signature) = sign(signable, &params).ok()?.into_parts();
        let mut headers = HeaderMap::new();
        for (name, value) in instructions.headers() {
            let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
            let mut value = HeaderValue::from_str(value).ok()?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        Some(headers)
    }
}

/// S3's error code in an XML error body (`<Code>AccessDenied</Code>`), when it is one word.
fn error_code(answer: &Answer) -> Option<&str> {
    let body = std::str::from_utf8(&answer.body).ok()?;
    let start = body.find("<Code>")? + "<Code>".len();
    let end = start + body[start..].find("</Code>")?;
    let code = &body[start..end];
    (!code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some(code)
}

/// Codes for the credentials themselves being wrong, rather than what they may do.
const CREDENTIAL_CODES: [&str; 6] = [
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthorizationHeaderMalformed",
    "InvalidToken",
    "ExpiredToken",
    "InvalidSecurity",
];

/// The region an answer says the bucket is in, when it says one (`x-amz-bucket-region`).
fn says_region(answer: &Answer) -> bool {
    answer.headers.contains_key("x-amz-bucket-region")
}

/// That region, if it may be quoted: only a value that is one of the provider's regions by the
/// rule its `region` credential is held to. Anything else the storage put there is its own text,
/// which no message carries ("in another region" then).
fn bucket_region(answer: &Answer, source_type: SourceType) -> Option<String> {
    let region = answer.headers.get("x-amz-bucket-region")?.to_str().ok()?;
    is_provider_region(source_type, region).then(|| region.to_owned())
}

pub(crate) async fn check(
    client: &Client,
    target: &Target,
    checks: &mut Checks,
    budget: &mut ReadBudget,
) -> Ending {
    let signing_failed = Ending::Failed(Problem::Unsupported(
        "The credentials cannot be used to sign a request",
    ));
    let mut query = vec![("list-type", "2"), ("max-keys", "1")];
    if !target.prefix.is_empty() {
        query.push(("prefix", target.prefix.as_str()));
    }
    let Some(url) = target.url(None, &query) else {
        return signing_failed;
    };
    let Some(headers) = target.signed_headers(&Method::GET, &url) else {
        return signing_failed;
    };
    let listing = match client
        .send_checked(
            (Method::GET, &url, headers),
            budget,
            checks,
            CheckName::List,
        )
        .await
    {
        Ok(answer) => answer,
        Err(problem) => return Ending::Failed(problem),
    };
    let status = listing.status;
    match status {
        200..=299 => {
            checks.ok(CheckName::Authenticate);
            checks.ok(CheckName::List);
            Ending::Ok
        }
        301 | 307 | 400
            if says_region(&listing) || error_code(&listing) == Some("PermanentRedirect") =>
        {
            checks.ok(CheckName::Authenticate);
            checks.failed(CheckName::List);
            Ending::Failed(Problem::WrongRegion {
                status,
                region: bucket_region(&listing, target.source_type),
            })
        }
        404 => {
            checks.ok(CheckName::Authenticate);
            checks.failed(CheckName::List);
            Ending::Failed(Problem::BucketNotFound {
                status,
                what: "bucket",
            })
        }
        401 | 403 if error_code(&listing).is_some_and(|c| CREDENTIAL_CODES.contains(&c)) => {
            checks.failed(CheckName::Authenticate);
            Ending::Failed(Problem::CredentialsRefused { status })
        }
        401 | 403 => {
            checks.failed(CheckName::List);
            read_instead(client, target, checks, budget, status).await
        }
        _ => {
            checks.failed(CheckName::List);
            Ending::Failed(Problem::HttpStatus { status })
        }
    }
}

/// The listing was refused for what the credentials may do: a `HEAD` of a key that cannot
/// exist. A 404 means they may read the bucket (inconclusive: a listing would have told whether
/// the bucket exists); a refusal means they may not.
async fn read_instead(
    client: &Client,
    target: &Target,
    checks: &mut Checks,
    budget: &mut ReadBudget,
    list_status: u16,
) -> Ending {
    let mut random = [0u8; 16];
    if getrandom::fill(&mut random).is_err() {
        return Ending::Failed(Problem::AccessRefused {
            status: list_status,
        });
    }
    let key = format!(
        "{}image-sources-verify-{}",
        target.prefix,
        hex::encode(random)
    );
    let Some(url) = target.url(Some(&key), &[]) else {
        return Ending::Failed(Problem::AccessRefused {
            status: list_status,
        });
    };
    let Some(headers) = target.signed_headers(&Method::HEAD, &url) else {
        return Ending::Failed(Problem::AccessRefused {
            status: list_status,
        });
    };
    match client.send(Method::HEAD, &url, headers, budget).await {
        Err(problem) => {
            checks.failed(CheckName::Read);
            Ending::Failed(problem)
        }
        Ok(answer) => match answer.status {
            200..=299 | 404 => {
                checks.ok(CheckName::Authenticate);
                checks.ok(CheckName::Read);
                Ending::Inconclusive(Problem::ListingRefused {
                    status: list_status,
                })
            }
            status => {
                checks.failed(CheckName::Read);
                Ending::Failed(Problem::AccessRefused { status })
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(source_type: SourceType, pairs: &[(&str, &str)]) -> Target {
        let values = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let credentials = Credentials::from_clear(source_type, values).unwrap();
        Target::of(source_type, &credentials, None).unwrap_or_else(|p| panic!("{p}"))
    }

    #[test]
    fn each_provider_is_addressed_as_it_documents() {
        let keys = [("access_key", "k"), ("secret", "s")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = keys.to_vec();
            all.extend_from_slice(extra);
            all
        };
        let cases = [
            (
                target(
                    SourceType::S3,
                    &[
                        ("access_key_id", "k"),
                        ("secret_access_key", "s"),
                        ("bucket", "photos"),
                        ("region", "eu-west-1"),
                    ],
                ),
                "https://photos.s3.eu-west-1.amazonaws.com/",
                "eu-west-1",
            ),
            (
                target(
                    SourceType::S3,
                    &[
                        ("access_key_id", "k"),
                        ("secret_access_key", "s"),
                        ("bucket", "my.photos"),
                        ("region", "us-east-2"),
                    ],
                ),
                "https://s3.us-east-2.amazonaws.com/my.photos",
                "us-east-2",
            ),
            (
                target(SourceType::Gcs, &with(&[("bucket", "b")])),
                "https://storage.googleapis.com/b",
                "auto",
            ),
            (
                target(
                    SourceType::Dos,
                    &with(&[("bucket", "b"), ("region", "nyc3")]),
                ),
                "https://nyc3.digitaloceanspaces.com/b",
                "us-east-1",
            ),
            (
                target(
                    SourceType::R2,
                    &with(&[
                        ("bucket", "b"),
                        ("account_id", "0123456789abcdef0123456789abcdef"),
                    ]),
                ),
                "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com/b",
                "auto",
            ),
            (
                target(SourceType::Wasabi, &with(&[("bucket", "b")])),
                "https://s3.us-east-1.wasabisys.com/b",
                "us-east-1",
            ),
            (
                target(
                    SourceType::Akamai,
                    &with(&[
                        ("bucket", "123456/images"),
                        ("endpoint", "https://us-southeast-1.linodeobjects.com"),
                    ]),
                ),
                "https://us-southeast-1.linodeobjects.com/123456",
                "us-southeast-1",
            ),
        ];
        for (target, base, region) in cases {
            assert_eq!(target.base.as_str(), base);
            assert_eq!(target.region, region);
        }
    }

    #[test]
    fn r2_without_an_account_id_is_unsupported() {
        let values = [("access_key", "k"), ("secret", "s"), ("bucket", "b")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let credentials = Credentials::from_clear(SourceType::R2, values).unwrap();
        let problem = Target::of(SourceType::R2, &credentials, None)
            .err()
            .unwrap();
        assert_eq!(problem.code(), super::super::ErrorCode::Unsupported);
    }

    #[test]
    fn an_akamai_directory_goes_before_the_prefix() {
        let target = target(
            SourceType::Akamai,
            &[
                ("access_key", "k"),
                ("secret", "s"),
                ("bucket", "123456/images/2026"),
                ("endpoint", "https://example-nsu.akamaihd.net"),
                ("prefix", "p/"),
            ],
        );
        assert_eq!(target.prefix, "images/2026/p/");
        assert_eq!(target.region, "us-east-1");
    }

    #[test]
    fn prefixes_are_encoded_as_sigv4_canonicalizes_them() {
        let target = target(
            SourceType::Gcs,
            &[("access_key", "k"), ("secret", "s"), ("bucket", "b")],
        );
        let url = target
            .url(None, &[("list-type", "2"), ("prefix", "a b/ü+")])
            .unwrap();
        assert_eq!(url.query(), Some("list-type=2&prefix=a%20b%2F%C3%BC%2B"));
    }
}
