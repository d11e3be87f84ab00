//! `portcullis costs …`: import, generate, report and export billing data from the
//! shell. Imports go through the same service as the console's upload (same rules,
//! same audit, actor `shell`) and work whether or not the server is running.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};
use service::costs::{ImportControl, ImportSource, Importer};
use service::{Clock, Options, Service, ServiceError};
use spend::{Format, FormatChoice};
use store::costs::CostDimension;

use crate::config::Config;
use crate::database;
use crate::serve::BoxError;

#[derive(Subcommand)]
pub enum CostsCommand {
    /// Import FOCUS or AWS CUR files (CSV, CSV.gz or Parquet) as one all-or-nothing change;
    /// a (billing account, period) imported again replaces the earlier data.
    Import {
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
        #[arg(long, value_enum, default_value = "auto")]
        format: FormatArg,
    },
    /// Write realistic billing data to standard output (for tests and benchmarks).
    Generate {
        #[arg(long)]
        rows: u64,
        #[arg(long, default_value_t = 3)]
        months: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_enum, default_value = "focus")]
        format: GenerateFormat,
        /// First billing month, YYYY-MM (default: so that the last month is this one).
        #[arg(long)]
        start: Option<String>,
        /// Users named by the aws:createdBy tag, comma separated.
        #[arg(long, default_value = "alice,bob,carol")]
        creators: String,
    },
    /// Sum billed and effective cost by one dimension; Unallocated is its own row.
    Report {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// group, service, account, region, zone, category, resource, creator,
        /// day, month, or tag:KEY
        #[arg(long, default_value = "group")]
        by: String,
        #[arg(long, value_enum, default_value = "csv")]
        format: ReportFormat,
    },
    /// Write the line items of a period as FOCUS CSV with x_AllocatedGroup and
    /// x_AllocationRule.
    Export {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Auto,
    Focus,
    Cur,
    Cur2,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum GenerateFormat {
    Focus,
    Cur,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Csv,
    Json,
}

/// Commands that need no database.
pub fn run_offline(command: &CostsCommand) -> Option<ExitCode> {
    let CostsCommand::Generate {
        rows,
        months,
        seed,
        format,
        start,
        creators,
    } = command
    else {
        return None;
    };
    let start = match start {
        Some(text) => match spend::item::parse_date(&format!("{text}-01")) {
            Some(date) => date,
            None => {
                eprintln!("portcullis: --start {text:?} is not a month such as 2026-09");
                return Some(ExitCode::from(2));
            }
        },
        None => {
            let today = time::OffsetDateTime::now_utc().date();
            let mut date = spend::item::month_start(today);
            for _ in 1..(*months).max(1) {
                date = spend::item::month_start(date - time::Duration::days(1));
            }
            date
        }
    };
    let plan = spend::generate::Plan {
        rows: *rows,
        months: *months,
        start,
        seed: *seed,
        format: match format {
            GenerateFormat::Focus => Format::Focus,
            GenerateFormat::Cur => Format::Cur,
        },
        creators: creators
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    Some(
        match spend::generate::write(&plan, &mut out).and_then(|_| out.flush()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("portcullis: {e}");
                ExitCode::FAILURE
            }
        },
    )
}

pub async fn run(config: &Config, command: CostsCommand) -> Result<(), BoxError> {
    let mut db = database::open(config).await?;
    let service = Service::new(
        db.store.clone(),
        identity::hashing::PasswordHasher::for_this_machine()?,
        database::secret_box(config)?,
        Clock::system(),
        Options {
            smtp: config.smtp.clone(),
            ..Options::default()
        },
    );
    let result = match command {
        CostsCommand::Import { files, format } => import(&service, config, files, format).await,
        CostsCommand::Report {
            from,
            to,
            by,
            format,
        } => report(&service, &from, &to, &by, format).await,
        CostsCommand::Export { from, to } => export(&service, &from, &to).await,
        CostsCommand::Generate { .. } => Ok(()),
    };
    if let Some(cluster) = db.cluster.as_mut() {
        cluster.stop();
    }
    result
}

async fn import(
    service: &Service,
    config: &Config,
    files: Vec<std::path::PathBuf>,
    format: FormatArg,
) -> Result<(), BoxError> {
    let mut sources = Vec::new();
    for path in &files {
        let file = std::fs::File::open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > config.cost_limits.max_bytes {
            return Err(format!(
                "{} is {size} bytes, over the import limit of {} bytes (PORTCULLIS_COST_MAX_BYTES)",
                path.display(),
                config.cost_limits.max_bytes
            )
            .into());
        }
        sources.push(ImportSource {
            name: path.display().to_string(),
            bytes: Box::new(file),
        });
    }
    let choice = match format {
        FormatArg::Auto => FormatChoice::Auto,
        FormatArg::Focus => FormatChoice::Exactly(Format::Focus),
        FormatArg::Cur => FormatChoice::Exactly(Format::Cur),
        FormatArg::Cur2 => FormatChoice::Exactly(Format::Cur2),
    };
    let control = ImportControl::default();
    let rows = control.rows.clone();
    let started = Instant::now();
    let progress = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let n = rows.load(Ordering::Relaxed);
            let rate = n as f64 / started.elapsed().as_secs_f64().max(0.001);
            eprintln!("  {n} rows read ({rate:.0} rows/s)");
        }
    });
    let outcome = service
        .import_costs(
            Importer::Shell,
            sources,
            choice,
            config.cost_limits,
            control,
        )
        .await;
    progress.abort();
    match outcome {
        Ok(import) => {
            let seconds = started.elapsed().as_secs_f64();
            // Without a server running, alerts this import raised go out from here.
            if let Err(e) = service.deliver_webhooks().await {
                eprintln!("portcullis: budget webhooks: {e}");
            }
            println!(
                "import #{}: {} line items, billed {} {}, periods {} ({:.1} s, {:.0} rows/s)",
                import.id,
                import.line_items,
                import.billed_total,
                import.currencies,
                import.periods,
                seconds,
                import.line_items as f64 / seconds.max(0.001)
            );
            Ok(())
        }
        Err(ServiceError::BadBillingFile(refusal)) => {
            for row in &refusal.rows {
                eprintln!("  {row}");
            }
            Err(refusal.summary.clone().into())
        }
        Err(e) => Err(e.into()),
    }
}

fn day(flag: &str, text: &str) -> Result<time::Date, BoxError> {
    spend::item::parse_date(text.trim())
        .ok_or_else(|| format!("--{flag} {text:?} is not a date such as 2026-09-01").into())
}

async fn report(
    service: &Service,
    from: &str,
    to: &str,
    by: &str,
    format: ReportFormat,
) -> Result<(), BoxError> {
    let (from, to) = (day("from", from)?, day("to", to)?);
    let dimension = CostDimension::parse(by).ok_or_else(|| {
        format!("--by {by:?}: expected group, service, account, region, zone, category, resource, creator, day, month or tag:KEY")
    })?;
    let lines = service.cost_report(None, from, to, dimension).await?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &lines)?;
            writeln!(out)?;
        }
        ReportFormat::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            csv.write_record([by, "BilledCost", "EffectiveCost"])?;
            for line in &lines {
                csv.write_record([
                    spend::read::escape_formula(&line.label).as_ref(),
                    &line.billed,
                    &line.effective,
                ])?;
            }
            csv.flush()?;
        }
    }
    Ok(())
}

async fn export(service: &Service, from: &str, to: &str) -> Result<(), BoxError> {
    let (from, to) = (day("from", from)?, day("to", to)?);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    service
        .export_costs(None, from, to, |bytes| {
            let written = out.write_all(&bytes);
            async move { written }
        })
        .await?;
    out.flush()?;
    Ok(())
}
