//! The live room's doors: `POST /api/rooms` opens one, `GET /api/rooms/{code}` says whether it
//! exists, `GET /api/rooms/{code}/qr.svg` draws its join address, and `GET /api/rooms/{code}/ws`
//! is each participant's socket. The rules live in [`crate::room`]; this file moves messages.

use std::time::Instant;

use api_types::room::{
    Closing, MAX_ID_BYTES, PhoneConsole, PhoneConsoleRequest, Role, RoomClientMessage, RoomCreated,
    RoomInfo, RoomServerMessage, normalize_room_code, phone_fragment,
};
use axum::Json;
use axum::Router;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;

use super::seo::public_url;
use crate::AppState;
use crate::room::{Bucket, Participant, RoomError, Rooms};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms", post(create))
        .route("/api/rooms/{code}", get(info))
        .route("/api/rooms/{code}/qr.svg", get(qr))
        .route("/api/rooms/{code}/phone", post(phone))
        .route("/api/rooms/{code}/ws", get(socket))
}

/// A room request that failed, in the API's `{"error": ...}` shape.
struct Failure(RoomError);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = match self.0 {
            RoomError::Unknown => StatusCode::NOT_FOUND,
            RoomError::TooManyRooms | RoomError::CodeTaken => StatusCode::SERVICE_UNAVAILABLE,
            RoomError::Full(_) => StatusCode::CONFLICT,
            RoomError::NotTeacher => StatusCode::FORBIDDEN,
            RoomError::NoJoin => StatusCode::BAD_REQUEST,
        };
        let body = api_types::ApiError {
            error: self.0.to_string(),
        };
        (status, Json(body)).into_response()
    }
}

/// The code as typed (any case, dashes), or the unknown room's answer.
fn code(typed: &str) -> Result<String, Failure> {
    normalize_room_code(typed).ok_or(Failure(RoomError::Unknown))
}

async fn create(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, Json<RoomCreated>), Failure> {
    let site = public_url(&state, &request);
    let room = state.rooms.create().await.map_err(Failure)?;
    tracing::info!(room = room.code, "a class session opened");
    Ok((
        StatusCode::CREATED,
        Json(RoomCreated {
            join_url: site.join(&format!("/join/{}", room.code)),
            qr_url: format!("/api/rooms/{}/qr.svg", room.code),
            code: room.code,
            teacher_secret: room.secret,
        }),
    ))
}

async fn info(
    State(state): State<AppState>,
    Path(typed): Path<String>,
) -> Result<Json<RoomInfo>, Failure> {
    let code = code(&typed)?;
    state.rooms.info(&code).await.map(Json).map_err(Failure)
}

/// An address too long for a QR code: only a very long `Host` header or `RMP_PUBLIC_URL` can
/// make one, so the answer says which.
struct QrTooLong(String);

impl IntoResponse for QrTooLong {
    fn into_response(self) -> Response {
        let body = api_types::ApiError {
            error: format!(
                "the address {} is too long for a QR code; shorten the site's address (RMP_PUBLIC_URL or the Host header)",
                self.0
            ),
        };
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }
}

/// The QR code of `url`, or the address it could not encode.
fn qr_of(url: &str) -> Result<String, String> {
    crate::room::qr_svg(url).map_err(|_| url.chars().take(80).collect::<String>() + "…")
}

async fn qr(
    State(state): State<AppState>,
    Path(typed): Path<String>,
    request: Request,
) -> Result<Response, Response> {
    let code = code(&typed).map_err(IntoResponse::into_response)?;
    state
        .rooms
        .info(&code)
        .await
        .map_err(|error| Failure(error).into_response())?;
    let url = public_url(&state, &request).join(&format!("/join/{code}"));
    let svg = qr_of(&url).map_err(|too_long| QrTooLong(too_long).into_response())?;
    let mut response = svg.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    Ok(response)
}

/// The largest body `POST /api/rooms/{code}/phone` reads: a secret and a slug.
const PHONE_BODY_BYTES: usize = 4096;

/// A malformed request's 400, in the API's error shape.
fn bad_request(error: &str) -> Response {
    let body = api_types::ApiError {
        error: error.to_owned(),
    };
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Whether `chapter` can be a chapter's slug in an address (lower-case letters, digits, dashes).
fn is_slug(chapter: &str) -> bool {
    !chapter.is_empty()
        && chapter.len() <= MAX_ID_BYTES
        && chapter
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The presenter console's address for the teacher's phone, with the room and the secret in
/// the fragment, and its QR code. Only for the teacher (the secret in the body is checked), and
/// never cached: the answer is a credential.
async fn phone(
    State(state): State<AppState>,
    Path(typed): Path<String>,
    request: Request,
) -> Result<Response, Response> {
    let code = code(&typed).map_err(IntoResponse::into_response)?;
    let site = public_url(&state, &request);
    let bytes = axum::body::to_bytes(request.into_body(), PHONE_BODY_BYTES)
        .await
        .map_err(|_| bad_request("the request body is larger than a phone console request"))?;
    let asked: PhoneConsoleRequest = serde_json::from_slice(&bytes).map_err(|error| {
        bad_request(&format!(
            "the request body is not a phone console request: {error}"
        ))
    })?;
    if !is_slug(&asked.chapter) {
        return Err(bad_request(
            "the chapter must be a chapter's slug (lower-case letters, digits and dashes)",
        ));
    }
    state
        .rooms
        .check_secret(&code, &asked.secret)
        .await
        .map_err(|error| Failure(error).into_response())?;
    let url = site.join(&format!(
        "/present/{}/console#{}",
        asked.chapter,
        phone_fragment(&code, &asked.secret)
    ));
    let qr_svg = qr_of(&url).map_err(|too_long| QrTooLong(too_long).into_response())?;
    let mut response = Json(PhoneConsole { url, qr_svg }).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn socket(
    State(state): State<AppState>,
    Path(typed): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, Failure> {
    let code = code(&typed)?;
    // A wrong code is an HTTP 404 before any upgrade: the page can say so at once.
    state.rooms.info(&code).await.map_err(Failure)?;
    let rooms = state.rooms.clone();
    // The teacher's limit bounds the frame; a student's smaller limit is checked per message.
    let max = rooms.limits.teacher_message_bytes;
    Ok(upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(rooms, code, socket)))
}

async fn send(socket: &mut WebSocket, rooms: &Rooms, message: &RoomServerMessage) -> bool {
    let json = serde_json::to_string(message).expect("room messages serialise");
    send_text(socket, rooms, json.into()).await
}

/// Sends within the follower's time limit; `false` when the socket is gone or too slow.
async fn send_text(socket: &mut WebSocket, rooms: &Rooms, text: Utf8Bytes) -> bool {
    matches!(
        tokio::time::timeout(rooms.limits.send_timeout, socket.send(Message::Text(text))).await,
        Ok(Ok(()))
    )
}

async fn close(socket: &mut WebSocket, rooms: &Rooms, why: Closing, message: String) {
    send(
        socket,
        rooms,
        &RoomServerMessage::Closed {
            why,
            message: message.clone(),
        },
    )
    .await;
    let frame = CloseFrame {
        // 4000-4999: the application's own codes; the message above carries the reason.
        code: 4000,
        reason: Utf8Bytes::from(message.chars().take(100).collect::<String>()),
    };
    let _ = tokio::time::timeout(
        rooms.limits.send_timeout,
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

/// The first text message, parsed; `None` on anything else or after the join timeout.
async fn first_message(socket: &mut WebSocket, rooms: &Rooms) -> Option<RoomClientMessage> {
    let wait = rooms.limits.join_timeout;
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).ok(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            _ => return None,
        }
    }
}

async fn serve(rooms: Rooms, code: String, mut socket: WebSocket) {
    let Some(first) = first_message(&mut socket, &rooms).await else {
        let error = RoomError::NoJoin;
        close(&mut socket, &rooms, error.closing(), error.to_string()).await;
        return;
    };
    let (participant, joined) = match rooms.join(&code, first).await {
        Ok(joined) => joined,
        Err(error) => {
            close(&mut socket, &rooms, error.closing(), error.to_string()).await;
            return;
        }
    };
    let welcome = RoomServerMessage::Welcome {
        role: participant.role,
        snapshot: joined.snapshot,
        presenter: joined.presenter,
    };
    let mut ok = send(&mut socket, &rooms, &welcome).await;
    for message in &joined.teacher_view {
        ok = ok && send(&mut socket, &rooms, message).await;
    }
    if ok {
        follow(&rooms, &participant, joined.feed, &mut socket).await;
    }
    rooms.leave(&participant).await;
}

/// The socket's life after joining: the room's messages out, the participant's in, each side
/// bounded.
async fn follow(
    rooms: &Rooms,
    participant: &Participant,
    mut feed: crate::room::Feed,
    socket: &mut WebSocket,
) {
    let limits = &rooms.limits;
    let max_bytes = match participant.role {
        Role::Teacher => limits.teacher_message_bytes,
        Role::Student => limits.student_message_bytes,
    };
    let now = Instant::now();
    let mut messages = Bucket::new(limits.messages_per_second, limits.message_burst, now);
    let byte_burst = limits.bytes_per_second.max(max_bytes as u32);
    let mut bytes = Bucket::new(limits.bytes_per_second, byte_burst, now);
    loop {
        tokio::select! {
            outgoing = feed.next() => match outgoing {
                Ok(json) => {
                    if !send_text(socket, rooms, Utf8Bytes::from(json.as_ref())).await {
                        tracing::info!(room = participant.code, "dropped a follower that stopped reading");
                        return;
                    }
                }
                Err(why) => {
                    let message = match why {
                        Closing::FellBehind => "this page fell behind the class; reconnecting catches it up",
                        _ => "the class session ended",
                    };
                    close(socket, rooms, why, message.to_owned()).await;
                    return;
                }
            },
            incoming = socket.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Binary(_))) => {
                        refuse(socket, rooms, "messages are JSON text").await;
                        continue;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    _ => return,
                };
                let now = Instant::now();
                let size = u32::try_from(text.len()).unwrap_or(u32::MAX);
                if text.len() > max_bytes || !messages.take(1, now) || !bytes.take(size, now) {
                    tracing::warn!(room = participant.code, "closed a socket sending too much");
                    let message = format!(
                        "this page sent too much (at most {} messages a second, {} bytes each); reload to rejoin",
                        limits.messages_per_second, max_bytes
                    );
                    close(socket, rooms, Closing::TooMuch, message).await;
                    return;
                }
                let Ok(message) = serde_json::from_str::<RoomClientMessage>(&text) else {
                    refuse(socket, rooms, "the message is not one the room knows").await;
                    continue;
                };
                if let Err(refusal) = rooms.handle(participant, message).await {
                    if let crate::room::Refusal::Room(error) = &refusal {
                        close(socket, rooms, error.closing(), error.to_string()).await;
                        return;
                    }
                    refuse(socket, rooms, &refusal.to_string()).await;
                }
            }
        }
    }
}

async fn refuse(socket: &mut WebSocket, rooms: &Rooms, reason: &str) {
    let refused = RoomServerMessage::Refused {
        reason: reason.to_owned(),
    };
    send(socket, rooms, &refused).await;
}
