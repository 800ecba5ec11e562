//! Sources that are not feeds: sites read through their sitemaps and listing pages.

pub mod listing;
pub mod wordpress;
pub mod sitemap;
