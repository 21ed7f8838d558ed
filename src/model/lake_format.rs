//! The file format of a lake's tables. One lake holds one format: `_lake.json` records it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LakeFormat {
    /// CSV with a header row: what the seeds read, and the default.
    #[default]
    Csv,
    /// Parquet, zstd-compressed, with the same columns and logical types.
    Parquet,
}

impl LakeFormat {
    pub const ALL: [LakeFormat; 2] = [LakeFormat::Csv, LakeFormat::Parquet];

    pub fn name(self) -> &'static str {
        match self {
            LakeFormat::Csv => "csv",
            LakeFormat::Parquet => "parquet",
        }
    }

    /// The data files' extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// The format of a data file, from its path's extension.
    pub fn of_path(path: &str) -> Option<LakeFormat> {
        let ext = path.rsplit_once('.')?.1;
        LakeFormat::ALL.into_iter().find(|f| f.extension() == ext)
    }
}

impl FromStr for LakeFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "csv" => Ok(Self::Csv),
            "parquet" => Ok(Self::Parquet),
            other => Err(format!(
                "unknown lake format '{other}': expected csv or parquet"
            )),
        }
    }
}

impl fmt::Display for LakeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::LakeFormat;

    #[test]
    fn names_parse_back_and_name_the_extension() {
        for f in LakeFormat::ALL {
            assert_eq!(f.name().parse::<LakeFormat>(), Ok(f));
            assert_eq!(
                LakeFormat::of_path(&format!("a/b.{}", f.extension())),
                Some(f)
            );
        }
        assert!("orc".parse::<LakeFormat>().is_err());
        assert_eq!(LakeFormat::of_path("a/b.json"), None);
    }
}
