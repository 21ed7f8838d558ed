//! Domain types shared by every layer: validated inputs, the scale of the generated shop and
//! the tables of the lake.

mod hour;
mod lake_format;
mod scale;
mod table;

pub use hour::{
    parse_date, parse_hour, HourRange, InputError, PartitionHour, FIRST_DATE, LAST_DATE,
};
pub use lake_format::LakeFormat;
pub use scale::{Scale, ScaleError, ScaleName};
pub use table::{ColumnType, Table};
