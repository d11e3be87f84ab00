//! `GET /spend/export.csv?from=…&to=…`: the line items of a period the caller may
//! see, as FOCUS CSV with `x_AllocatedGroup` and `x_AllocationRule`, streamed.

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};

use super::session::{caller_of_session, session_and_facts, status_of};
use super::AppState;

#[derive(serde::Deserialize)]
pub struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub async fn export_costs(
    State(state): State<AppState>,
    Query(period): Query<Period>,
    request: Request<Body>,
) -> Response {
    let refuse = |status: StatusCode, message: String| (status, message).into_response();
    let resolved = match session_and_facts(&state, &request) {
        Ok((session, facts)) => caller_of_session(&state, session, facts).await,
        Err(e) => Err(e),
    };
    let caller = match resolved {
        Ok(caller) => caller,
        Err(e) => return refuse(status_of(&e), e.to_string()),
    };
    let default = match state.service.default_spend_period().await {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    let day = |text: &str, fallback| {
        if text.trim().is_empty() {
            Some(fallback)
        } else {
            spend::item::parse_date(text.trim())
        }
    };
    let (Some(from), Some(to)) = (day(&period.from, default.0), day(&period.to, default.1)) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "from and to must be dates such as 2026-09-01".into(),
        );
    };
    // Bounded: the export waits for a slow client instead of queueing in memory.
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(8);
    let service = state.service.clone();
    let job = tokio::spawn(async move {
        service
            .export_costs(Some(&caller), from, to, |bytes| {
                let sender = sender.clone();
                async move {
                    sender
                        .send(bytes)
                        .await
                        .map_err(|_| std::io::Error::other("the client went away"))
                }
            })
            .await
    });
    // The first bytes (the header) or the refusal decide the status.
    let first = receiver.recv().await;
    let Some(first) = first else {
        return match job.await {
            Ok(Err(e)) => refuse(status_of(&e), e.to_string()),
            _ => refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the export failed".into(),
            ),
        };
    };
    let stream = async_stream(first, receiver);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"portcullis-focus-{from}-{to}.csv\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The first chunk, then whatever the export sends.
fn async_stream(
    first: Vec<u8>,
    receiver: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let rest = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|bytes| (Ok(bytes), receiver))
    });
    futures_util::StreamExt::chain(futures_util::stream::once(async move { Ok(first) }), rest)
}
