//! The HTTP client of the branch API v1: bearer token, gzip request bodies (responses are
//! decompressed by reqwest), no redirects (a captive portal's redirect is an unexpected answer, and
//! a redirect could lead to plain http), and every answer checked for being the JSON expected:
//! an HTML page with status 200 is `unexpected_response`, never a success.
//!
//! Made for a rural line (800 ms round trips at 64 kbit/s, or 1.5 s at 16 kbit/s, with cuts): TCP
//! and TLS must connect within 8 s; each request has its own timeout, sized by the caller to what
//! it carries (`plan::Link`); idle pooled connections send TCP keep-alives after 10 s (every 3 s,
//! given up after 3 unanswered), so a line that died under a waiting answer is noticed in about
//! 20 s instead of TCP's minutes. A transport failure is classified by the error's type, not its
//! text: only a `rustls::Error` (a certificate or handshake the desk refused) is `tls`; a
//! connection closed, reset, refused or timed out is `branch_unreachable`.

use std::io::Write;
use std::time::Duration;

use plkk_protocol::{
    Changes, DocumentUpload, EnrollRequest, Enrollment, ErrorBody, Health, PushResponse,
    RestoredRequest, MAX_ANSWER_BYTES, OUTBOX_WAITING_HEADER,
};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, DATE};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::address::BranchAddress;
use crate::SyncError;

/// Bodies smaller than this are sent as they are: gzip would not pay for itself.
const GZIP_FROM_BYTES: usize = 1024;
/// TCP connect and TLS handshake together: two round trips of up to 1.5 s, with a lost packet or
/// two (the kernel resends a SYN after 1 s, 3 s, 7 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(8);
/// A request without a timeout of its own (enrolment, health).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Idle time before the first TCP keep-alive probe, the time between probes, and how many may go
/// unanswered.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(10);
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(3);
const KEEPALIVE_PROBES: u32 = 3;
/// Pooled connections idle longer than this are not reused: below the branch's own wait for the
/// next request (`header_timeout_seconds`, 20 s by default), and a NAT on a rural line forgets
/// idle connections too.
const POOL_IDLE: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub(crate) struct BranchClient {
    http: reqwest::Client,
    address: BranchAddress,
    token: Option<String>,
}

impl BranchClient {
    pub(crate) fn new(
        address: BranchAddress,
        ca_cert_pem: Option<&str>,
        token: Option<String>,
    ) -> Result<BranchClient, SyncError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(DEFAULT_TIMEOUT)
            .tcp_keepalive(KEEPALIVE_IDLE)
            .tcp_keepalive_interval(KEEPALIVE_INTERVAL)
            .tcp_keepalive_retries(KEEPALIVE_PROBES)
            .pool_idle_timeout(POOL_IDLE)
            .user_agent(concat!("plkk-desk/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_cert_pem {
            let certificate = reqwest::Certificate::from_pem(pem.as_bytes())
                .map_err(|source| SyncError::InvalidCa { source })?;
            builder = builder.add_root_certificate(certificate);
        }
        let http = builder
            .build()
            .map_err(|source| SyncError::InvalidCa { source })?;
        Ok(BranchClient {
            http,
            address,
            token,
        })
    }

    /// The branch's address, for messages.
    pub(crate) fn url(&self) -> &str {
        self.address.as_str()
    }

    pub(crate) async fn enroll(&self, request: &EnrollRequest) -> Result<Enrollment, SyncError> {
        let body = serde_json::to_vec(request).map_err(|error| self.unexpected(error))?;
        self.post("/enroll", body).await
    }

    /// Asks for a new identity for a desk restored from a backup (authenticated by the old one).
    pub(crate) async fn restored(
        &self,
        request: &RestoredRequest,
    ) -> Result<Enrollment, SyncError> {
        let body = serde_json::to_vec(request).map_err(|error| self.unexpected(error))?;
        self.post("/restored", body).await
    }

    /// The branch's health, with its body limit when it says.
    pub(crate) async fn health(&self) -> Result<Health, SyncError> {
        let response = self
            .http
            .get(self.address.api("/health"))
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        self.answer(response).await
    }

    /// Sends a push body ([`Encoded`] when planned), giving up after `timeout`. Returns the
    /// answer and the request's size on the wire (after gzip).
    pub(crate) async fn push(
        &self,
        body: Encoded,
        timeout: Duration,
    ) -> Result<(PushResponse, usize), SyncError> {
        let size = body.bytes.len();
        let answer = self
            .send_post("/push", body.bytes, body.gzipped, timeout)
            .await?;
        Ok((answer, size))
    }

    /// One page of the clinic's changes, giving up after `timeout`.
    pub(crate) async fn changes(
        &self,
        since: i64,
        limit: u32,
        waiting: u64,
        timeout: Duration,
    ) -> Result<Changes, SyncError> {
        let url = format!(
            "{}?since={since}&limit={limit}",
            self.address.api("/changes")
        );
        let response = self
            .authorized(self.http.get(&url))
            .header(OUTBOX_WAITING_HEADER, waiting)
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        self.answer(response).await
    }

    /// Where the upload of document `id` stands at the branch (where to resume).
    pub(crate) async fn document_state(
        &self,
        id: uuid::Uuid,
        timeout: Duration,
    ) -> Result<DocumentUpload, SyncError> {
        let url = self.address.api(&format!("/documents/{id}/content"));
        let response = self
            .authorized(self.http.get(&url))
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        self.answer(response).await
    }

    /// Sends one chunk of document `id`'s bytes from `offset` (raw, not gzipped: photos and
    /// PDFs are compressed already).
    pub(crate) async fn document_chunk(
        &self,
        id: uuid::Uuid,
        offset: u64,
        chunk: Vec<u8>,
        timeout: Duration,
    ) -> Result<DocumentUpload, SyncError> {
        let url = format!(
            "{}?offset={offset}",
            self.address.api(&format!("/documents/{id}/content"))
        );
        let response = self
            .authorized(self.http.put(&url))
            .timeout(timeout)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            )
            .body(chunk)
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        self.answer(response).await
    }

    async fn post<T: DeserializeOwned>(&self, route: &str, json: Vec<u8>) -> Result<T, SyncError> {
        let (body, gzipped) = encode(json);
        self.send_post(route, body, gzipped, DEFAULT_TIMEOUT).await
    }

    async fn send_post<T: DeserializeOwned>(
        &self,
        route: &str,
        body: Vec<u8>,
        gzipped: bool,
        timeout: Duration,
    ) -> Result<T, SyncError> {
        let mut request = self
            .authorized(self.http.post(self.address.api(route)))
            .timeout(timeout)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if gzipped {
            request = request.header(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        self.answer(response).await
    }

    /// Adds the token, and the desk's clock as the `Date` header (the branch shows the offset).
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let request = request.header(DATE, date);
        match &self.token {
            Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            None => request,
        }
    }

    async fn answer<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, SyncError> {
        let status = response.status();
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim_start().starts_with("application/json"));
        let bytes = self.read_body(response).await?;
        if status.is_success() {
            if !is_json {
                return Err(self.unexpected(format!(
                    "status {status} but the body is not JSON: {}",
                    excerpt(&bytes)
                )));
            }
            return serde_json::from_slice(&bytes).map_err(|error| {
                self.unexpected(format!(
                    "status {status} but not the expected JSON: {error}"
                ))
            });
        }
        let body: Option<ErrorBody> = is_json
            .then(|| serde_json::from_slice(&bytes).ok())
            .flatten();
        Err(self.refusal(status, body, &bytes))
    }

    /// The answer's body (decompressed), refused as unexpected past [`MAX_ANSWER_BYTES`]: the desk
    /// never holds more of an answer than any branch answer can be.
    async fn read_body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, SyncError> {
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport(error))?
        {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(self.unexpected(format!(
                    "the answer is larger than {MAX_ANSWER_BYTES} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn refusal(&self, status: StatusCode, body: Option<ErrorBody>, bytes: &[u8]) -> SyncError {
        if status.is_server_error() {
            return SyncError::ServerError {
                status: status.as_u16(),
                message: body.map_or_else(|| excerpt(bytes), |body| body.message),
            };
        }
        let Some(body) = body else {
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                // A proxy in front of the branch may refuse a body with a page of its own.
                return SyncError::Refused {
                    status: status.as_u16(),
                    code: "body_too_large".to_owned(),
                    message: excerpt(bytes),
                };
            }
            return self.unexpected(format!("status {status}: {}", excerpt(bytes)));
        };
        match (status, body.error.as_str()) {
            (_, "device_revoked") => SyncError::DeviceRevoked,
            (StatusCode::UNAUTHORIZED, _) => SyncError::Unauthorized {
                message: body.message,
            },
            (StatusCode::FORBIDDEN, _) => SyncError::Forbidden {
                message: body.message,
            },
            (_, "enrollment_code_unknown") => SyncError::EnrollmentCodeUnknown,
            (_, "enrollment_code_expired") => SyncError::EnrollmentCodeExpired,
            (_, "enrollment_code_used") => SyncError::EnrollmentCodeUsed,
            _ => SyncError::Refused {
                status: status.as_u16(),
                code: body.error,
                message: body.message,
            },
        }
    }

    fn transport(&self, error: reqwest::Error) -> SyncError {
        let url = self.address.as_str().to_owned();
        if error.is_decode() {
            return self.unexpected(format!("the answer cannot be decoded: {error}"));
        }
        if refused_by_tls(&error) {
            return SyncError::Tls { url, source: error };
        }
        SyncError::BranchUnreachable { url, source: error }
    }

    fn unexpected(&self, what: impl std::fmt::Display) -> SyncError {
        SyncError::UnexpectedResponse {
            url: self.address.as_str().to_owned(),
            what: what.to_string(),
        }
    }
}

/// A request body as it goes on the wire.
pub(crate) struct Encoded {
    bytes: Vec<u8>,
    gzipped: bool,
}

impl Encoded {
    /// JSON, gzipped when worth compressing.
    pub(crate) fn json(json: Vec<u8>) -> Encoded {
        let (bytes, gzipped) = encode(json);
        Encoded { bytes, gzipped }
    }
}

/// Gzips a body worth compressing; returns it and whether it is gzipped.
fn encode(json: Vec<u8>) -> (Vec<u8>, bool) {
    if json.len() < GZIP_FROM_BYTES {
        return (json, false);
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(json.len() / 4),
        flate2::Compression::new(3),
    );
    match encoder.write_all(&json).and_then(|()| encoder.finish()) {
        Ok(gzipped) => (gzipped, true),
        Err(_) => (json, false),
    }
}

/// Whether the TLS layer refused the branch (an untrusted or wrong certificate, a failed
/// handshake): a `rustls::Error` somewhere in the error's chain. rustls hands its errors to the
/// HTTP stack inside an `io::Error` (sometimes wrapped in another), whose `source()` skips what it
/// wraps, so the walk goes into what an `io::Error` holds. A connection closed mid-exchange without
/// TLS close_notify is an `io::Error` of kind `UnexpectedEof` with no rustls error in it: a broken
/// line, not a certificate problem.
fn refused_by_tls(error: &reqwest::Error) -> bool {
    let mut link: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = link {
        if current.is::<rustls::Error>() {
            return true;
        }
        link = match current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    false
}

/// The start of a body, for a message.
fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(120)]);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        "(empty body)".to_owned()
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_bodies_go_plain_and_large_ones_gzipped() {
        let (small, gzipped) = encode(b"{\"a\":1}".to_vec());
        assert!(!gzipped);
        assert_eq!(small, b"{\"a\":1}");
        let large = format!("[{}]", vec!["{\"full_name\":\"Siti\"}"; 200].join(","));
        let (body, gzipped) = encode(large.clone().into_bytes());
        assert!(gzipped);
        assert!(body.len() * 5 < large.len(), "repetitive JSON shrinks");
        let mut decoded = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&body[..]), &mut decoded)
            .unwrap();
        assert_eq!(decoded, large);
    }

    #[test]
    fn excerpts_are_short_and_flat() {
        assert_eq!(
            excerpt(b"<html>\n  <body>Login</body>"),
            "<html> <body>Login</body>"
        );
        assert_eq!(excerpt(b""), "(empty body)");
    }
}
