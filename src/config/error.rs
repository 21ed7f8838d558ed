//! Why a configuration is refused. Every variant names the flag (or environment variable) at
//! fault, so a caller can point at it without parsing the message.

use crate::model::ScaleError;
use crate::telemetry::otlp::OtlpError;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--backend gcp needs {flag} (or {env})")]
    Missing {
        flag: &'static str,
        env: &'static str,
    },
    #[error("{flag} '{value}' is not {expected}")]
    Malformed {
        flag: &'static str,
        value: String,
        expected: &'static str,
    },
    /// `flag` repeats `other`'s value where the two must differ.
    #[error("{other} and {flag} must differ")]
    Same {
        flag: &'static str,
        other: &'static str,
    },
    #[error("--data-dir must not be empty")]
    EmptyDataDir,
    #[error(transparent)]
    Scale(#[from] ScaleError),
    #[error(transparent)]
    Telemetry(#[from] OtlpError),
}

impl ConfigError {
    /// The flag (or environment variable) at fault.
    pub fn flag(&self) -> &str {
        match self {
            Self::Missing { flag, .. } | Self::Malformed { flag, .. } | Self::Same { flag, .. } => {
                flag
            }
            Self::EmptyDataDir => "--data-dir",
            Self::Scale(e) => e.flag(),
            Self::Telemetry(OtlpError::Endpoint(_)) => "--otlp-endpoint",
            Self::Telemetry(OtlpError::Ratio(_)) => "--otlp-sample-ratio",
            Self::Telemetry(OtlpError::Exporter(_)) => "--otlp-endpoint",
        }
    }
}
