//! Training: a video the client watches, from YouTube, Vimeo or Loom only. The link
//! staff give is kept as its provider and video id, never as typed: the page embeds
//! the provider's own player address built from them, so that no other address can
//! reach the page's frame, and the page's policy lets frames come from these hosts
//! alone.

use super::problem::{EvidenceError, Problem};

/// A video host Portal embeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// YouTube (embedded from `youtube-nocookie.com`, which sets no cookie until play).
    // Named as `as_str` names it, not `you_tube`.
    #[serde(rename = "youtube")]
    YouTube,
    /// Vimeo.
    Vimeo,
    /// Loom.
    Loom,
}

impl Provider {
    /// Stable name, for storage and JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::YouTube => "youtube",
            Provider::Vimeo => "vimeo",
            Provider::Loom => "loom",
        }
    }

    /// From the stored name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Provider> {
        [Provider::YouTube, Provider::Vimeo, Provider::Loom]
            .into_iter()
            .find(|p| p.as_str() == name)
    }

    /// The origin its player is framed from: what a page's `frame-src` allows.
    #[must_use]
    pub const fn player_origin(self) -> &'static str {
        match self {
            Provider::YouTube => "https://www.youtube-nocookie.com",
            Provider::Vimeo => "https://player.vimeo.com",
            Provider::Loom => "https://www.loom.com",
        }
    }

    /// Every provider's player origin, for the `frame-src` of pages that embed one.
    pub const ORIGINS: [&'static str; 3] = [
        Provider::YouTube.player_origin(),
        Provider::Vimeo.player_origin(),
        Provider::Loom.player_origin(),
    ];

    /// Whether `id` is a video id of this provider.
    fn accepts(self, id: &str) -> bool {
        let b = id.as_bytes();
        match self {
            Provider::YouTube => {
                b.len() == 11
                    && b.iter()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
            }
            Provider::Vimeo => (1..=12).contains(&b.len()) && b.iter().all(u8::is_ascii_digit),
            Provider::Loom => {
                b.len() == 32
                    && b.iter()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
            }
        }
    }
}

/// A video: its provider and its id there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Video {
    /// Where it is hosted.
    pub provider: Provider,
    /// Its id at the provider.
    pub video_id: String,
}

impl Video {
    /// The video a link names: `https://` links of YouTube (`youtube.com/watch?v=`,
    /// `youtu.be/`, `/embed/`, `/shorts/`), Vimeo (`vimeo.com/ID`,
    /// `player.vimeo.com/video/ID`) and Loom (`loom.com/share/ID`, `/embed/ID`). Any
    /// other scheme, host, port, user name or shape is refused.
    pub fn parse(link: &str) -> Result<Video, EvidenceError> {
        let refused = || EvidenceError::new("video_url", Problem::LinkNotAllowed);
        let link = link.trim();
        let rest = link
            .get(..8)
            .filter(|s| s.eq_ignore_ascii_case("https://"))
            .map(|_| &link[8..])
            .ok_or_else(refused)?;
        let (authority, target) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        let host = authority.to_ascii_lowercase();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = path.split('#').next().unwrap_or_default();
        let query = query.split('#').next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (provider, id) = match (host.as_str(), segments.as_slice()) {
            ("youtube.com" | "www.youtube.com" | "m.youtube.com", ["watch"]) => (
                Provider::YouTube,
                query
                    .split('&')
                    .find_map(|p| p.strip_prefix("v="))
                    .unwrap_or_default(),
            ),
            (
                "youtube.com" | "www.youtube.com" | "m.youtube.com" | "www.youtube-nocookie.com",
                ["embed" | "shorts", id],
            ) => (Provider::YouTube, *id),
            ("youtu.be", [id]) => (Provider::YouTube, *id),
            ("vimeo.com" | "www.vimeo.com", [id]) => (Provider::Vimeo, *id),
            ("player.vimeo.com", ["video", id]) => (Provider::Vimeo, *id),
            ("loom.com" | "www.loom.com", ["share" | "embed", id]) => (Provider::Loom, *id),
            _ => return Err(refused()),
        };
        if !provider.accepts(id) {
            return Err(refused());
        }
        Ok(Video {
            provider,
            video_id: id.to_owned(),
        })
    }

    /// The video from its stored provider and id, if they still make one.
    #[must_use]
    pub fn from_stored(provider: &str, video_id: &str) -> Option<Video> {
        let provider = Provider::from_name(provider)?;
        provider.accepts(video_id).then(|| Video {
            provider,
            video_id: video_id.to_owned(),
        })
    }

    /// The provider's player for this video: the only address a page frames.
    #[must_use]
    pub fn embed_url(&self) -> String {
        let origin = self.provider.player_origin();
        match self.provider {
            Provider::YouTube | Provider::Loom => format!("{origin}/embed/{}", self.video_id),
            Provider::Vimeo => format!("{origin}/video/{}", self.video_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_of_the_three_providers_become_their_players() {
        for (link, embed) in [
            (
                "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
                "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            ),
            (
                "https://youtu.be/dQw4w9WgXcQ",
                "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            ),
            (
                "HTTPS://M.YouTube.com/shorts/dQw4w9WgXcQ",
                "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
            ),
            (
                "https://vimeo.com/76979871",
                "https://player.vimeo.com/video/76979871",
            ),
            (
                "https://player.vimeo.com/video/76979871#t=5",
                "https://player.vimeo.com/video/76979871",
            ),
            (
                "https://www.loom.com/share/0123456789abcdef0123456789abcdef",
                "https://www.loom.com/embed/0123456789abcdef0123456789abcdef",
            ),
        ] {
            let video = Video::parse(link).unwrap_or_else(|e| panic!("{link}: {e}"));
            assert_eq!(video.embed_url(), embed, "{link}");
            assert_eq!(
                Video::from_stored(video.provider.as_str(), &video.video_id),
                Some(video)
            );
        }
    }

    #[test]
    fn other_hosts_schemes_and_shapes_are_refused() {
        for bad in [
            "javascript:alert(1)",
            "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://evil.example/watch?v=dQw4w9WgXcQ",
            "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
            "https://user@youtube.com/watch?v=dQw4w9WgXcQ",
            "https://youtube.com:8443/watch?v=dQw4w9WgXcQ",
            "https://www.youtube.com/watch?v=short",
            "https://www.youtube.com/watch?v=dQw4w9WgXc\"",
            "https://youtu.be/dQw4w9WgXcQ/../x",
            "https://vimeo.com/abc",
            "https://vimeo.com/1/2",
            "https://www.loom.com/share/xyz",
            "https://www.loom.com/share/0123456789ABCDEF0123456789ABCDEF",
            "",
        ] {
            assert_eq!(
                Video::parse(bad).unwrap_err().problem,
                Problem::LinkNotAllowed,
                "{bad:?}"
            );
        }
        assert_eq!(Video::from_stored("dailymotion", "x1"), None);
        assert_eq!(Video::from_stored("youtube", "<script>"), None);
    }
}
