//! The branch's address: https anywhere, plain http only on loopback (127.0.0.0/8, ::1,
//! localhost), so a desk never sends records or its token in the clear over a network.

use reqwest::Url;

use crate::SyncError;

/// A checked branch address, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchAddress {
    base: String,
}

impl BranchAddress {
    pub fn parse(text: &str) -> Result<BranchAddress, SyncError> {
        let text = text.trim();
        let invalid = |reason: &str| SyncError::InvalidUrl {
            url: text.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(text).map_err(|error| invalid(&error.to_string()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("it must not have a query or fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not carry a user name or password"));
        }
        let host = url.host_str().ok_or_else(|| invalid("it has no host"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(SyncError::InsecureUrl {
                    url: text.to_owned(),
                })
            }
            _ => {
                return Err(invalid(
                    "it must start with https:// (or http:// on loopback)",
                ))
            }
        }
        Ok(BranchAddress {
            base: url.as_str().trim_end_matches('/').to_owned(),
        })
    }

    /// The address as stored and shown.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The URL of an API route such as `/push`.
    pub fn api(&self, route: &str) -> String {
        format!("{}{}{route}", self.base, plkk_protocol::API_PREFIX)
    }
}

fn is_loopback(host: &str) -> bool {
    if let Some(inner) = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    {
        return inner
            .parse::<std::net::Ipv6Addr>()
            .is_ok_and(|address| address.is_loopback());
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<&str, &str>) {
        let parsed = BranchAddress::parse(text);
        match (parsed, expected) {
            (Ok(address), Ok(base)) => assert_eq!(address.as_str(), base, "{text}"),
            (Err(error), Err(code)) => assert_eq!(error.code(), code, "{text}: {error}"),
            (parsed, expected) => panic!("{text}: got {parsed:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn https_is_accepted_anywhere() {
        check(
            "https://cabang.bpjs.example",
            Ok("https://cabang.bpjs.example"),
        );
        check("https://10.1.2.3:8700/", Ok("https://10.1.2.3:8700"));
        check(
            " https://cabang.example/sync/ ",
            Ok("https://cabang.example/sync"),
        );
    }

    #[test]
    fn plain_http_only_on_loopback() {
        check("http://127.0.0.1:8700", Ok("http://127.0.0.1:8700"));
        check("http://127.9.9.9:1", Ok("http://127.9.9.9:1"));
        check("http://[::1]:8700", Ok("http://[::1]:8700"));
        check("http://localhost:8700", Ok("http://localhost:8700"));
        check("http://LOCALHOST", Ok("http://localhost"));
        check("http://10.0.0.5:8700", Err("insecure_url"));
        check("http://192.168.1.10", Err("insecure_url"));
        check("http://cabang.example", Err("insecure_url"));
        check("http://localhost.evil.example", Err("insecure_url"));
        check("http://[::ffff:10.0.0.1]", Err("insecure_url"));
    }

    #[test]
    fn other_addresses_are_invalid() {
        check("cabang.example", Err("invalid_url"));
        check("ftp://cabang.example", Err("invalid_url"));
        check("https://user:pw@cabang.example", Err("invalid_url"));
        check("https://cabang.example/?a=1", Err("invalid_url"));
        check("", Err("invalid_url"));
    }
}
