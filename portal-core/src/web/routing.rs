//! Route tables. Each surface of the web layer (the portal, the staff API) lists its
//! routes once, as data: method, path pattern, what the route asks of a request before
//! its handler runs, and the handler. Dispatch, the 405 answers with the methods a path
//! does allow, and the paths an adapter may route exactly ([`super::FIXED_PATHS`]) are
//! all read from that list, so that a route cannot be added to one and missed by another.
//!
//! A pattern is the path below the surface's mount path: `/`-separated segments, where
//! `{name}` stands for any one segment (`/auth/link/{token}`). A handler is given the
//! segments its pattern's names matched, in order, and its body already read: the type
//! it takes the body as decides how the body is read (see [`Body`]), and the guard of
//! the route's surface has run by then.

use std::pin::Pin;

use serde::de::DeserializeOwned;

use super::errors::WebError;
use super::form::Form;
use super::method::{Allow, Method};
use super::multipart::Uploads;
use super::request::Request;
use super::response::Response;
use super::strict;

/// What a handler answers.
pub(super) type Answer = Result<Response, WebError>;

/// A handler's answer to come. Boxed: one table holds handlers of every body type, so
/// their futures need one type; and a handler's state then stays out of the request's
/// future, which is moved whole wherever it is awaited.
pub(super) type Pending<'a> = Pin<Box<dyn Future<Output = Answer> + Send + 'a>>;

/// The most `{name}` segments a pattern may have.
const MAX_PARAMS: usize = 2;

/// The segments a pattern's `{name}`s matched, in order; places it has no name for
/// are empty.
pub(super) type Params<'a> = [&'a str; MAX_PARAMS];

/// One set of routes under one mount path, with what its handlers are given.
pub(super) trait Surface: 'static {
    /// What a handler is given about the request, besides its path's segments and
    /// its body.
    type Ctx<'r>: Send;
    /// What a route says about itself besides its method and path.
    type Rules: Copy + Sync + 'static;
    /// The request.
    fn request<'c>(ctx: &'c Self::Ctx<'_>) -> &'c Request;
    /// Checks what `rules` ask of the request once its body is read (`in_body` is the
    /// CSRF token the body carries, if any), before the handler runs.
    fn guard(
        ctx: &Self::Ctx<'_>,
        rules: Self::Rules,
        in_body: Option<&str>,
    ) -> Result<(), WebError>;
    /// Checks what `rules` ask of an upload request before any of its body is read:
    /// whether its CSRF token still has to come as the body's first field.
    fn upload_guard(ctx: &Self::Ctx<'_>, rules: Self::Rules) -> Result<UploadCsrf, WebError>;
    /// Whether `presented` is the CSRF token of the request's session (asked when
    /// [`Surface::upload_guard`] answered [`UploadCsrf::FirstField`]).
    fn csrf_matches(ctx: &Self::Ctx<'_>, presented: &str) -> bool;
}

/// Where an upload's CSRF token is, once the guard has looked at the request's head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UploadCsrf {
    /// Checked already (the `X-CSRF-Token` header), or not asked for by the route.
    Checked,
    /// Not in a header: the body's first part must be a `csrf_token` field holding it,
    /// read before the handler sees any part.
    FirstField,
}

/// A route of surface `S`.
pub(super) struct Route<S: Surface> {
    /// The method (a HEAD is answered as the GET it asks about).
    pub(super) method: Method,
    /// The pattern of the path below the mount path.
    pub(super) path: &'static str,
    /// What the route asks of a request, as its surface reads it.
    pub(super) rules: S::Rules,
    /// The handler.
    pub(super) handler: &'static dyn Call<S>,
}

/// A handler behind the body type it takes, so that one table holds them all.
pub(super) trait Call<S: Surface>: Sync {
    /// Reads the body, runs the surface's guard for `rules`, and starts the handler.
    fn call<'a, 'r>(
        &self,
        ctx: &'a mut S::Ctx<'r>,
        rules: S::Rules,
        params: Params<'a>,
    ) -> Result<Pending<'a>, WebError>;

    /// Whether the route reads its body as a stream (an upload route), which the
    /// adapter then hands over unread (see [`super::BodyPlan::Stream`]).
    fn streams_body(&self) -> bool {
        false
    }
}

/// A handler of surface `S` that takes the body as `B`.
pub(super) struct Handler<S: Surface, B>(
    pub(super) for<'a, 'r> fn(&'a mut S::Ctx<'r>, Params<'a>, B) -> Pending<'a>,
);

impl<S: Surface, B: Body> Call<S> for Handler<S, B> {
    fn call<'a, 'r>(
        &self,
        ctx: &'a mut S::Ctx<'r>,
        rules: S::Rules,
        params: Params<'a>,
    ) -> Result<Pending<'a>, WebError> {
        // The body first: a CSRF token may ride in it.
        let body = B::read(S::request(ctx))?;
        S::guard(ctx, rules, body.csrf_token())?;
        Ok((self.0)(ctx, params, body))
    }
}

/// The handler of an upload route of surface `S`: the body is a `multipart/form-data`
/// stream, given to the handler as [`Uploads`] once the surface's upload guard has
/// passed and, when the token is not in a header, once the body's first part has
/// shown the session's CSRF token. So no handler can see a file of an upload whose
/// CSRF token was not checked.
pub(super) struct Upload<S: Surface>(
    pub(super) for<'a, 'r> fn(&'a mut S::Ctx<'r>, Params<'a>, Uploads) -> Pending<'a>,
);

impl<S: Surface> Call<S> for Upload<S> {
    fn call<'a, 'r>(
        &self,
        ctx: &'a mut S::Ctx<'r>,
        rules: S::Rules,
        params: Params<'a>,
    ) -> Result<Pending<'a>, WebError> {
        let csrf = S::upload_guard(ctx, rules)?;
        let mut uploads = Uploads::of_request(S::request(ctx))?;
        let handler = self.0;
        Ok(Box::pin(async move {
            if csrf == UploadCsrf::FirstField {
                let token = uploads.csrf_field().await?;
                if !S::csrf_matches(ctx, &token) {
                    return Err(WebError::Csrf);
                }
            }
            handler(ctx, params, uploads).await
        }))
    }

    fn streams_body(&self) -> bool {
        true
    }
}

/// A request body as a handler takes it.
pub(super) trait Body: Sized + Send {
    /// Reads the body of `req`: 415 for a content type this body is not sent as, 400
    /// for one that does not parse.
    fn read(req: &Request) -> Result<Self, WebError>;

    /// The CSRF token the body carries.
    fn csrf_token(&self) -> Option<&str> {
        None
    }
}

/// No body: whatever was sent is not read.
impl Body for () {
    fn read(_: &Request) -> Result<Self, WebError> {
        Ok(())
    }
}

/// A form post (`application/x-www-form-urlencoded`, or no content type at all).
impl Body for Form {
    fn read(req: &Request) -> Result<Self, WebError> {
        match req.content_type().as_deref() {
            None | Some("application/x-www-form-urlencoded") => {
                Form::parse(&req.body).map_err(|_| WebError::BadRequest("malformed form"))
            }
            Some(_) => Err(WebError::UnsupportedMediaType),
        }
    }

    fn csrf_token(&self) -> Option<&str> {
        self.get("csrf_token")
    }
}

/// A JSON object (`application/json`), read strictly into `T` (see [`strict`]).
pub(super) struct Json<T>(pub(super) T);

impl<T: DeserializeOwned + Send> Body for Json<T> {
    fn read(req: &Request) -> Result<Self, WebError> {
        if req.content_type().as_deref() != Some("application/json") {
            return Err(WebError::UnsupportedMediaType);
        }
        strict::json(&req.body).map(Json)
    }
}

/// A JSON object as [`Json`] reads it, or nothing at all (no body and no content
/// type), which is `T::default()`: for routes whose fields are all optional.
pub(super) struct MaybeJson<T>(pub(super) T);

impl<T: DeserializeOwned + Default + Send> Body for MaybeJson<T> {
    fn read(req: &Request) -> Result<Self, WebError> {
        if req.body.is_empty() && req.content_type().is_none() {
            return Ok(MaybeJson(T::default()));
        }
        Json::read(req).map(|Json(t)| MaybeJson(t))
    }
}

/// An id named in a request: text that is not one names nothing that exists (404).
pub(super) fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, WebError> {
    text.parse().map_err(|_| WebError::NotFound)
}

/// What a table says about a request's method and path.
pub(super) enum Lookup<'p, S: Surface> {
    /// The route, and the segments its pattern's names matched.
    Route(&'static Route<S>, Params<'p>),
    /// Routes have the path but not the method: the methods they have.
    WrongMethod(Allow),
    /// No route has the path.
    NotFound,
}

/// The route of `table` for `method` and `rest`, the path below the mount path.
pub(super) fn find<'p, S: Surface>(
    table: &'static [Route<S>],
    method: Method,
    rest: &'p str,
) -> Lookup<'p, S> {
    // A path deeper than any route is not found, like any other.
    let Some(segments) = Segments::of(rest) else {
        return Lookup::NotFound;
    };
    let mut allow = Allow::default();
    for route in table {
        if let Some(params) = matches(route.path, &segments) {
            if route.method == method {
                return Lookup::Route(route, params);
            }
            allow.add(route.method);
        }
    }
    if allow == Allow::default() {
        Lookup::NotFound
    } else {
        Lookup::WrongMethod(allow)
    }
}

/// The segments `pattern`'s names match in `segments`, if `segments` match it.
fn matches<'p>(pattern: &str, segments: &[&'p str]) -> Option<Params<'p>> {
    // Every request is matched against the routes before its own: compared as bytes,
    // most patterns are told apart at their first segment's first bytes.
    let mut rest = pattern.as_bytes();
    let mut params = [""; MAX_PARAMS];
    let mut taken = 0;
    for &segment in segments {
        rest = rest.strip_prefix(b"/")?;
        if rest.first() == Some(&b'{') {
            *params.get_mut(taken)? = segment;
            taken += 1;
            let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
            rest = &rest[end..];
        } else {
            rest = rest.strip_prefix(segment.as_bytes())?;
            if rest.first().is_some_and(|&b| b != b'/') {
                return None;
            }
        }
    }
    rest.is_empty().then_some(params)
}

/// How many paths [`fixed_paths`] lists for `table`.
pub(super) const fn fixed_count<S: Surface>(table: &[Route<S>]) -> usize {
    let mut count = 0;
    let mut i = 0;
    while i < table.len() {
        if is_new_fixed(table, i) {
            count += if same(table[i].path, "/") { 2 } else { 1 };
        }
        i += 1;
    }
    count
}

/// The patterns of `table` without a `{name}` segment, each once, in the table's
/// order; `/` comes with the mount path itself (`""`), which it answers too. `N` is
/// [`fixed_count`] of `table` (otherwise the constant that calls this fails to build).
pub(super) const fn fixed_paths<S: Surface, const N: usize>(
    table: &[Route<S>],
) -> [&'static str; N] {
    let mut out = [""; N];
    let mut n = 0;
    let mut i = 0;
    while i < table.len() {
        if is_new_fixed(table, i) {
            if same(table[i].path, "/") {
                out[n] = "";
                n += 1;
            }
            out[n] = table[i].path;
            n += 1;
        }
        i += 1;
    }
    assert!(n == N, "the length is not the table's count of fixed paths");
    out
}

/// Whether route `i`'s pattern has no name and no route before it has the same one.
const fn is_new_fixed<S: Surface>(table: &[Route<S>], i: usize) -> bool {
    let path = table[i].path.as_bytes();
    let mut b = 0;
    while b < path.len() {
        if path[b] == b'{' {
            return false;
        }
        b += 1;
    }
    let mut j = 0;
    while j < i {
        if same(table[j].path, table[i].path) {
            return false;
        }
        j += 1;
    }
    true
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The `/`-separated segments of a path below a mount point, without a heap
/// allocation: no route of Portal's has more than [`Segments::MAX`].
#[derive(Clone, Copy, Debug)]
struct Segments<'a> {
    parts: [&'a str; Segments::MAX],
    len: usize,
}

impl<'a> Segments<'a> {
    /// More segments than any route has: such a path is not found.
    const MAX: usize = 8;

    /// The segments of `rest` (after its one leading `/`); `None` if there are too
    /// many. An empty segment stays one: `//api` is `["", "api"]`, which no route has,
    /// so a doubled slash is not found rather than read as a single one.
    fn of(rest: &'a str) -> Option<Self> {
        let mut out = Segments {
            parts: [""; Segments::MAX],
            len: 0,
        };
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        // A byte loop rather than `split`: `/` is ASCII, so every cut is a char boundary.
        let mut start = 0;
        for (i, b) in rest.bytes().enumerate() {
            if b == b'/' {
                out.push(&rest[start..i])?;
                start = i + 1;
            }
        }
        out.push(&rest[start..])?;
        Some(out)
    }

    fn push(&mut self, part: &'a str) -> Option<()> {
        *self.parts.get_mut(self.len)? = part;
        self.len += 1;
        Some(())
    }
}

impl<'a> std::ops::Deref for Segments<'a> {
    type Target = [&'a str];
    fn deref(&self) -> &[&'a str] {
        &self.parts[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(pattern: &str, path: &'static str) -> Option<Params<'static>> {
        matches(pattern, &Segments::of(path)?)
    }

    #[test]
    fn a_pattern_matches_its_segments_and_names_any_one_segment() {
        assert_eq!(matched("/", ""), Some(["", ""]));
        assert_eq!(matched("/", "/"), Some(["", ""]));
        assert_eq!(matched("/login", "/login"), Some(["", ""]));
        assert_eq!(matched("/a/{x}/b/{y}", "/a/1/b/2"), Some(["1", "2"]));
        assert_eq!(matched("/a/{x}", "/a/"), Some(["", ""]));
        for path in ["/login/", "/logi", "/login/x", "//login", "/Login"] {
            assert_eq!(matched("/login", path), None, "{path}");
        }
        assert_eq!(matched("/a/{x}", "/a"), None);
        assert_eq!(matched("/a/{x}", "/a/1/2"), None);
        assert_eq!(
            matched("/{x}/{y}/{z}", "/1/2/3"),
            None,
            "more names than places"
        );
    }

    #[test]
    fn allow_lists_each_method_once_in_a_fixed_order() {
        let mut allow = Allow::default();
        for m in [Method::Delete, Method::Post, Method::Get, Method::Post] {
            allow.add(m);
        }
        assert_eq!(allow.to_string(), "GET, HEAD, POST, DELETE");
        allow.add(Method::Other);
        assert_eq!(allow.to_string(), "GET, HEAD, POST, DELETE");
    }

    #[test]
    fn paths_split_into_at_most_eight_segments() {
        assert_eq!(&*Segments::of("/api/me").unwrap(), ["api", "me"]);
        assert_eq!(&*Segments::of("/").unwrap(), [""]);
        assert_eq!(Segments::of("/a/b/c/d/e/f/g/h").unwrap().len(), 8);
        assert!(Segments::of("/a/b/c/d/e/f/g/h/i").is_none());
        assert_eq!(&*Segments::of("//api/me").unwrap(), ["", "api", "me"]);
        assert_eq!(&*Segments::of("").unwrap(), [""]);
    }

    proptest::proptest! {
        #[test]
        fn segments_are_the_parts_between_slashes(path in "[/aé]{0,24}") {
            let want: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();
            match Segments::of(&path) {
                Some(s) => proptest::prop_assert_eq!(&*s, &want[..]),
                None => proptest::prop_assert!(want.len() > Segments::MAX),
            }
        }
    }
}
