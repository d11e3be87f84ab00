//! Billing-file uploads: a multipart POST streamed to a temporary file (never held in
//! memory, stopped at the size limit), then imported through the service like
//! `portcullis costs import`. A plain form gets a redirect to the imports page with
//! the outcome kept for it; the page's uploader (which shows progress) asks for JSON.

use tokio::io::AsyncWriteExt;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use service::costs::{ImportControl, ImportLimits, ImportSource, Importer};
use service::ServiceError;
use spend::FormatChoice;
use tower_sessions::Session;

use super::session::{caller_of_session, session_and_facts, status_of};
use super::AppState;
use crate::api::costs::{UploadOutcome, UPLOAD_FLASH};

/// A temporary copy of one uploaded file, removed when dropped.
struct Spool {
    path: std::path::PathBuf,
    name: String,
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

pub async fn upload_costs(State(state): State<AppState>, request: Request<Body>) -> Response {
    let wants_json = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no session layer").into_response();
    };
    let resolved = match session_and_facts(&state, &request) {
        Ok((session, facts)) => caller_of_session(&state, session, facts).await,
        Err(e) => Err(e),
    };
    // Who may import is decided before a byte of the file is read.
    let permitted = match resolved {
        Ok(caller) => state.service.may_import(&caller).await.map(|()| caller),
        Err(e) => Err(e),
    };
    let (status, outcome) = match permitted {
        Ok(caller) => {
            let outcome = receive(&state, &caller, request).await;
            let status = if outcome.ok {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            (status, outcome)
        }
        Err(e) => (
            status_of(&e),
            UploadOutcome {
                ok: false,
                message: e.to_string(),
                rows: Vec::new(),
            },
        ),
    };
    if wants_json {
        return (status, axum::Json(outcome)).into_response();
    }
    if let Err(e) = session.insert(UPLOAD_FLASH, &outcome).await {
        tracing::error!("cannot keep the upload outcome: {e}");
    }
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/spend/imports")],
    )
        .into_response()
}

async fn receive(
    state: &AppState,
    caller: &service::Caller,
    request: Request<Body>,
) -> UploadOutcome {
    let failed = |message: String| UploadOutcome {
        ok: false,
        message,
        rows: Vec::new(),
    };
    let limits = state.cost_limits;
    let mut multipart = match Multipart::from_request(request, state).await {
        Ok(m) => m,
        Err(_) => return failed("The upload is not a file form (multipart/form-data).".into()),
    };
    let mut spools: Vec<Spool> = Vec::new();
    let mut choice = FormatChoice::Auto;
    let mut total: u64 = 0;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return failed("The upload was interrupted; nothing was imported.".into()),
        };
        match field.name() {
            Some("format") => {
                let text = field.text().await.unwrap_or_default();
                match FormatChoice::parse(&text) {
                    Some(c) => choice = c,
                    None => {
                        return failed(format!(
                            "Format {text:?} is not one of auto, focus, cur, cur2."
                        ))
                    }
                }
            }
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_string();
                match spool(field, &name, &mut total, limits).await {
                    Ok(Some(spool)) => spools.push(spool),
                    Ok(None) => {}
                    Err(message) => return failed(message),
                }
            }
            _ => {}
        }
    }
    if spools.is_empty() {
        return failed("Choose a billing file to import.".into());
    }
    let mut sources = Vec::new();
    for spool in &spools {
        match std::fs::File::open(&spool.path) {
            Ok(file) => sources.push(ImportSource {
                name: spool.name.clone(),
                bytes: Box::new(file),
            }),
            Err(e) => {
                tracing::error!("cannot reopen an uploaded file: {e}");
                return failed("The upload could not be stored on the server.".into());
            }
        }
    }
    let started = std::time::Instant::now();
    let outcome = state
        .service
        .import_costs(
            Importer::Caller(caller),
            sources,
            choice,
            limits,
            ImportControl::default(),
        )
        .await;
    drop(spools);
    match outcome {
        Ok(import) => UploadOutcome {
            ok: true,
            message: format!(
                "Imported #{}: {} line items, billed {} {} ({}), at {:.0} rows/s.",
                import.id,
                import.line_items,
                model::costs::money(&import.billed_total),
                import.currencies,
                import.periods,
                import.line_items as f64 / started.elapsed().as_secs_f64().max(0.001)
            ),
            rows: Vec::new(),
        },
        Err(ServiceError::BadBillingFile(refusal)) => UploadOutcome {
            ok: false,
            message: refusal.summary.clone(),
            rows: refusal.rows.iter().map(|r| r.to_string()).collect(),
        },
        Err(e) => failed(e.to_string()),
    }
}

/// Streams one file field to a temporary file, refusing it past the size limit.
async fn spool(
    mut field: axum::extract::multipart::Field<'_>,
    name: &str,
    total: &mut u64,
    limits: ImportLimits,
) -> Result<Option<Spool>, String> {
    use rand::Rng;
    let id: u64 = rand::thread_rng().gen();
    let path = std::env::temp_dir().join(format!("portcullis-upload-{id:016x}"));
    let spool = Spool {
        path: path.clone(),
        name: if name.is_empty() { "upload.csv" } else { name }.to_string(),
    };
    let stored = |e: std::io::Error| {
        tracing::error!("cannot store an upload: {e}");
        "The upload could not be stored on the server.".to_string()
    };
    let mut file = tokio::fs::File::create(&path).await.map_err(stored)?;
    let mut size: u64 = 0;
    loop {
        match field.chunk().await {
            Ok(Some(bytes)) => {
                size += bytes.len() as u64;
                *total += bytes.len() as u64;
                if *total > limits.max_bytes {
                    return Err(format!(
                        "{name} is larger than the import limit of {} (PORTCULLIS_COST_MAX_BYTES); nothing was imported.",
                        bytes_text(limits.max_bytes)
                    ));
                }
                file.write_all(&bytes).await.map_err(stored)?;
            }
            Ok(None) => break,
            Err(_) => return Err("The upload was interrupted; nothing was imported.".into()),
        }
    }
    file.flush().await.map_err(stored)?;
    // A form posted without choosing a file sends an empty, nameless part.
    Ok((size > 0 || !name.is_empty()).then_some(spool))
}

fn bytes_text(bytes: u64) -> String {
    const GIB: u64 = 1024 * 1024 * 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= GIB && bytes % GIB == 0 {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
