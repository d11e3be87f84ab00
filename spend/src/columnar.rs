//! Parquet billing exports (FOCUS, AWS CUR 2.0), read through Arrow record batches.
//!
//! Each row is turned into the same text cells a CSV export has (decimals exact,
//! timestamps in ISO 8601, a tag map as a JSON object), so one set of row rules covers
//! both encodings. Only the columns the layout uses are decoded. Parquet needs to seek,
//! so the file is held in memory: its compressed, columnar size, not the CSV's.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;

use crate::read::FileError;

/// The first bytes of a Parquet file.
pub const MAGIC: &[u8] = b"PAR1";

/// Rows of a Parquet file as text cells.
pub struct ParquetRows {
    file: String,
    builder: Option<ParquetRecordBatchReaderBuilder<bytes::Bytes>>,
    reader: Option<ParquetRecordBatchReader>,
    /// For each decoded column, its position in the header.
    positions: Vec<usize>,
    width: usize,
    batch: Option<RecordBatch>,
    at: usize,
}

impl std::fmt::Debug for ParquetRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetRows")
            .field("file", &self.file)
            .finish()
    }
}

fn unreadable(file: &str, e: impl std::fmt::Display) -> FileError {
    FileError::Unreadable {
        file: file.to_string(),
        message: e.to_string(),
    }
}

impl ParquetRows {
    /// Opens the file and returns its header (the top-level column names).
    pub fn open(bytes: Vec<u8>, file: &str) -> Result<(Vec<String>, ParquetRows), FileError> {
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .map_err(|e| unreadable(file, e))?;
        let header: Vec<String> = builder
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let width = header.len();
        Ok((
            header,
            ParquetRows {
                file: file.to_string(),
                builder: Some(builder),
                reader: None,
                positions: Vec::new(),
                width,
                batch: None,
                at: 0,
            },
        ))
    }

    /// Decodes only the columns at `used` (positions in the header); the others read
    /// as empty cells.
    pub fn select(&mut self, mut used: Vec<usize>) -> Result<(), FileError> {
        let Some(builder) = self.builder.take() else {
            return Ok(());
        };
        used.sort_unstable();
        used.dedup();
        let mask = ProjectionMask::roots(builder.parquet_schema(), used.iter().copied());
        self.reader = Some(
            builder
                .with_projection(mask)
                .with_batch_size(8192)
                .build()
                .map_err(|e| unreadable(&self.file, e))?,
        );
        self.positions = used;
        Ok(())
    }

    /// Fills `record` with the next row's cells; `false` at the end.
    pub fn read_record(&mut self, record: &mut csv::StringRecord) -> Result<bool, FileError> {
        if self.reader.is_none() {
            self.select((0..self.width).collect())?;
        }
        loop {
            if let Some(batch) = &self.batch {
                if self.at < batch.num_rows() {
                    let mut cells = vec![String::new(); self.width];
                    for (column, &position) in batch.columns().iter().zip(&self.positions) {
                        if let Some(cell) = cells.get_mut(position) {
                            *cell = text(column.as_ref(), self.at).map_err(|message| {
                                unreadable(&self.file, format!("column {position}: {message}"))
                            })?;
                        }
                    }
                    record.clear();
                    for cell in &cells {
                        record.push_field(cell);
                    }
                    self.at += 1;
                    return Ok(true);
                }
            }
            let Some(reader) = self.reader.as_mut() else {
                return Ok(false);
            };
            match reader.next() {
                None => return Ok(false),
                Some(Ok(batch)) => {
                    self.batch = Some(batch);
                    self.at = 0;
                }
                Some(Err(e)) => return Err(unreadable(&self.file, e)),
            }
        }
    }
}

/// One value as a CSV export would write it.
fn text(array: &dyn Array, row: usize) -> Result<String, String> {
    if array.is_null(row) {
        return Ok(String::new());
    }
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        DataType::Utf8View => array.as_string_view().value(row).to_string(),
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Int8 => array.as_primitive::<Int8Type>().value(row).to_string(),
        DataType::Int16 => array.as_primitive::<Int16Type>().value(row).to_string(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).to_string(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::UInt8 => array.as_primitive::<UInt8Type>().value(row).to_string(),
        DataType::UInt16 => array.as_primitive::<UInt16Type>().value(row).to_string(),
        DataType::UInt32 => array.as_primitive::<UInt32Type>().value(row).to_string(),
        DataType::UInt64 => array.as_primitive::<UInt64Type>().value(row).to_string(),
        // Rust writes floats in plain decimal, never with an exponent.
        DataType::Float32 => array.as_primitive::<Float32Type>().value(row).to_string(),
        DataType::Float64 => array.as_primitive::<Float64Type>().value(row).to_string(),
        DataType::Decimal128(_, scale) => {
            let value = array
                .as_primitive::<arrow_array::types::Decimal128Type>()
                .value(row);
            decimal(value, *scale)
        }
        DataType::Date32 => {
            let days = array
                .as_primitive::<arrow_array::types::Date32Type>()
                .value(row);
            let date = time::Date::from_julian_day(2_440_588 + days)
                .map_err(|e| format!("date out of range: {e}"))?;
            date.to_string()
        }
        DataType::Timestamp(unit, _) => {
            use arrow_array::types::{
                TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
                TimestampSecondType,
            };
            let nanos: i128 = match unit {
                TimeUnit::Second => {
                    i128::from(array.as_primitive::<TimestampSecondType>().value(row))
                        * 1_000_000_000
                }
                TimeUnit::Millisecond => {
                    i128::from(array.as_primitive::<TimestampMillisecondType>().value(row))
                        * 1_000_000
                }
                TimeUnit::Microsecond => {
                    i128::from(array.as_primitive::<TimestampMicrosecondType>().value(row)) * 1_000
                }
                TimeUnit::Nanosecond => {
                    i128::from(array.as_primitive::<TimestampNanosecondType>().value(row))
                }
            };
            let at = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
                .map_err(|e| format!("timestamp out of range: {e}"))?;
            at.format(&time::format_description::well_known::Rfc3339)
                .map_err(|e| e.to_string())?
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut map = serde_json::Map::new();
            for i in 0..entries.len() {
                map.insert(
                    text(keys.as_ref(), i)?,
                    serde_json::Value::String(text(values.as_ref(), i)?),
                );
            }
            serde_json::Value::Object(map).to_string()
        }
        DataType::Dictionary(_, _) => {
            let dictionary = array.as_any_dictionary();
            let key = dictionary
                .normalized_keys()
                .get(row)
                .copied()
                .ok_or("dictionary key out of range")?;
            text(dictionary.values().as_ref(), key)?
        }
        other => return Err(format!("values of type {other} cannot be read")),
    })
}

/// An unscaled decimal as text: `12345` at scale 2 is `123.45`.
fn decimal(value: i128, scale: i8) -> String {
    if scale <= 0 {
        let zeros = "0".repeat(usize::from(scale.unsigned_abs()));
        return if value == 0 {
            "0".into()
        } else {
            format!("{value}{zeros}")
        };
    }
    let scale = usize::from(scale.unsigned_abs());
    let digits = value.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{}{whole}.{fraction}", if value < 0 { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal(12345, 2), "123.45");
        assert_eq!(decimal(-5, 3), "-0.005");
        assert_eq!(decimal(7, 0), "7");
        assert_eq!(decimal(7, -2), "700");
    }
}
