//! Sources that are not feeds: sites read through their sitemaps.

pub mod sitemap;
