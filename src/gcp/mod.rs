//! Google Cloud over REST: one HTTP client and one credentials stack shared by Cloud Storage,
//! Pub/Sub and BigQuery. REST rather than gRPC because every emulator here speaks it, and one
//! reqwest client builds in seconds where three gRPC stacks take many minutes on two cores.

pub mod auth;
pub mod http;

pub use auth::{Credentials, TokenError};
pub use http::{GcpError, GcpHttp, RetryPolicy};

/// Percent-encodes one URL path segment or query value (RFC 3986 unreserved kept).
pub fn encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_object_names_as_one_segment() {
        assert_eq!(
            super::encode("sales_data/date=2026-01-01/hour=05/part-00000.csv"),
            "sales_data%2Fdate%3D2026-01-01%2Fhour%3D05%2Fpart-00000.csv"
        );
        assert_eq!(super::encode("a b+c~d"), "a%20b%2Bc~d");
    }
}
