//! How fast one core turns a billing file into what an import sends PostgreSQL,
//! without PostgreSQL: `cargo run --release -p store --example readrate FILE`.
//! Prints rows/s for parsing alone and for parsing plus encoding (COPY rows, keys,
//! exact daily sums) on one thread, side by side in one run.

use std::error::Error;
use std::time::Instant;

fn open(path: &str) -> Result<spend::Reader, Box<dyn Error>> {
    let file = std::fs::File::open(path)?;
    Ok(spend::Reader::open(
        Box::new(file),
        path,
        spend::FormatChoice::Auto,
        u64::MAX,
    )?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args().nth(1).ok_or("usage: readrate FILE")?;

    // Rows are read into one item, as an import's batches are filled again.
    let mut item = spend::LineItem::unfilled();
    let started = Instant::now();
    let mut reader = open(&path)?;
    let mut rows = 0u64;
    while let Some(read) = reader.next_item_into(&mut item)? {
        read.map_err(|row| row.to_string())?;
        rows += 1;
    }
    let parse = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut reader = open(&path)?;
    let mut writer = store::costs::LineItemWriter::new(1, 500_000);
    let mut bytes = 0usize;
    while let Some(read) = reader.next_item_into(&mut item)? {
        read.map_err(|row| row.to_string())?;
        writer.push(&item)?;
        if writer.len() >= 1 << 20 {
            bytes += writer.take()?.len();
        }
        if writer.keys_len() >= 1 << 20 {
            bytes += writer.take_keys()?.len();
        }
    }
    bytes += writer.take()?.len() + writer.take_keys()?.len();
    writer.take_sums(|chunk| {
        if let store::costs::Chunk::Daily(b) | store::costs::Chunk::Monthly(b) = chunk {
            bytes += b.len();
        }
        Ok(())
    })?;
    let encode = started.elapsed().as_secs_f64();

    println!(
        "{rows} rows: parse {:.0} rows/s ({parse:.2} s); parse + encode {:.0} rows/s ({encode:.2} s, {} MB to COPY)",
        rows as f64 / parse,
        rows as f64 / encode,
        bytes / 1_000_000
    );
    Ok(())
}
