//! Domain types shared by every layer: validated inputs, the scale of the generated shop and
//! the tables of the lake.

mod hour;
mod scale;
mod table;

pub use hour::{
    parse_date, parse_hour, HourRange, InputError, PartitionHour, FIRST_DATE, LAST_DATE,
};
pub use scale::{Scale, ScaleName};
pub use table::Table;
