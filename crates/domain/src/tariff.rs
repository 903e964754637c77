//! The BPU contribution tariff (iuran peserta bukan penerima upah) and what a registration
//! costs. The tariff is reference data, not code: a TOML file (`crates/domain/data/
//! bpu-tariff-*.toml`, with its legal source, PP 44/2015 and PP 50/2025, and which figures are
//! unconfirmed) whose text is handed to [`Tariff::parse`]; the desk compiles the shipped one in
//! ([`Tariff::bundled`]) and the store keeps newer ones pulled from the branch or imported.
//!
//! Every amount is whole Rupiah a month. JKK is `jkk_percent` % of the income band's figure and
//! at least `jkk_minimum`; JKM is `jkm_monthly` flat; JHT (optional) is `jht_percent` % of the
//! same figure. A discount takes `percent` % off JKK and JKM (never JHT) for the months whose
//! coverage starts within its dates, for the occupations it names; halves round half up.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::enums::Occupation;

const BUNDLED: &str = include_str!("../data/bpu-tariff-2026.1.toml");

/// A tariff as its file states it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    /// Recorded on every registration computed with it.
    pub version: String,
    /// First day it applies to (a coverage start).
    pub valid_from: NaiveDate,
    /// The regulation it follows.
    pub source: String,
    /// JKK, percent of the income band's figure a month.
    pub jkk_percent: u32,
    /// The least JKK a month, whole Rupiah.
    pub jkk_minimum: u64,
    /// JKM a month, whole Rupiah, whatever the income.
    pub jkm_monthly: u64,
    /// JHT, percent of the income band's figure a month.
    pub jht_percent: u32,
    /// Income bands, ascending by `up_to`.
    pub bands: Vec<Band>,
    /// Discounts for some occupations over some months (none when the file lists none).
    #[serde(default)]
    pub discounts: Vec<Discount>,
}

/// Declared monthly income up to `up_to` Rupiah (inclusive) counts as `figure` Rupiah.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// The band's highest declared income, whole Rupiah a month (inclusive).
    pub up_to: u64,
    /// The income the band counts as, whole Rupiah a month.
    pub figure: u64,
    /// False when no public source confirmed this row.
    pub confirmed: bool,
}

/// `percent` % off JKK and JKM for the listed occupations, coverage months starting
/// `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Discount {
    /// What the discount is called (and the regulation that grants it).
    pub name: String,
    /// The occupations it is for.
    pub occupations: Vec<Occupation>,
    /// The first coverage month it applies to starts on or after this day.
    pub from: NaiveDate,
    /// The last coverage month it applies to starts on or before this day.
    pub to: NaiveDate,
    /// Percent off JKK and JKM.
    pub percent: u32,
    /// False when no public source confirmed it.
    pub confirmed: bool,
}

/// Why a tariff file was refused; the text says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffError(pub String);

impl std::fmt::Display for TariffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not a BPU tariff: {}", self.0)
    }
}

impl std::error::Error for TariffError {}

/// What a registration costs, in whole Rupiah. `jkk`, `jkm`, `jht` and `monthly_total` are the
/// first month's (after any discount in force then); `period_total` adds every month of the
/// period, each with the discount in force in that month; `regular_monthly_total` is a month
/// without discount, and `discount_percent` the first month's discount (0 when none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Contribution {
    /// JKK of the first month, whole Rupiah.
    pub jkk: u64,
    /// JKM of the first month, whole Rupiah.
    pub jkm: u64,
    /// JHT of the first month, whole Rupiah (0 without JHT).
    pub jht: u64,
    /// The first month's total, whole Rupiah.
    pub monthly_total: u64,
    /// Every month of the period, whole Rupiah.
    pub period_total: u64,
    /// The [`Tariff::version`] it was computed with.
    pub tariff_version: String,
    /// A month without discount, whole Rupiah.
    #[serde(default)]
    pub regular_monthly_total: u64,
    /// The first month's discount, percent (0 when none).
    #[serde(default)]
    pub discount_percent: u32,
}

/// What a contribution is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    /// Declared monthly income, whole Rupiah.
    pub income: u64,
    /// JHT chosen too.
    pub jht: bool,
    /// 1, 3, 6 or 12 (not checked here: the registration's rule).
    pub months: u32,
    /// None: no occupation's discount applies.
    pub occupation: Option<Occupation>,
    /// First day of cover.
    pub starts_on: NaiveDate,
}

impl Tariff {
    /// Reads and checks a tariff file's text: bands non-empty, ascending, figures > 0;
    /// percentages at most 100; discounts' `from` not after `to`.
    pub fn parse(text: &str) -> Result<Tariff, TariffError> {
        let tariff: Tariff =
            toml::from_str(text).map_err(|error| TariffError(error.to_string()))?;
        tariff.check()?;
        Ok(tariff)
    }

    /// The tariff shipped with this build.
    pub fn bundled() -> Tariff {
        Tariff::parse(BUNDLED).expect("the shipped tariff file is valid (tested)")
    }

    /// The text of the tariff shipped with this build.
    pub fn bundled_text() -> &'static str {
        BUNDLED
    }

    fn check(&self) -> Result<(), TariffError> {
        let fail = |what: String| Err(TariffError(what));
        if self.version.trim().is_empty() || self.version.len() > 40 {
            return fail("version must be 1-40 characters".into());
        }
        if self.bands.is_empty() {
            return fail("bands must not be empty".into());
        }
        for pair in self.bands.windows(2) {
            if pair[1].up_to <= pair[0].up_to {
                return fail(format!(
                    "bands must ascend (up_to {} after {})",
                    pair[1].up_to, pair[0].up_to
                ));
            }
        }
        if let Some(band) = self.bands.iter().find(|band| band.figure == 0) {
            return fail(format!("band up_to {} has figure 0", band.up_to));
        }
        if self.jkk_percent > 100 || self.jht_percent > 100 {
            return fail("percentages must be at most 100".into());
        }
        for discount in &self.discounts {
            if discount.percent > 100 || discount.from > discount.to {
                return fail(format!(
                    "discount {:?}: percent at most 100, from not after to",
                    discount.name
                ));
            }
        }
        Ok(())
    }

    /// The figure (Rupiah) a declared income counts as: its band's, or the last band's above it.
    pub fn figure_of(&self, income: u64) -> u64 {
        let band = self.bands.iter().find(|band| income <= band.up_to);
        band.unwrap_or_else(|| self.bands.last().expect("checked non-empty"))
            .figure
    }

    /// The discount percent in force for `occupation` on `day` (the largest, if several). A
    /// discount no public source confirmed is listed but not applied: a participant must not be
    /// quoted less than the branch will ask; the branch confirms it by publishing a tariff.
    fn discount_on(&self, occupation: Option<Occupation>, day: NaiveDate) -> u32 {
        let Some(occupation) = occupation else {
            return 0;
        };
        self.discounts
            .iter()
            .filter(|discount| discount.confirmed)
            .filter(|discount| discount.occupations.contains(&occupation))
            .filter(|discount| (discount.from..=discount.to).contains(&day))
            .map(|discount| discount.percent)
            .max()
            .unwrap_or(0)
    }

    /// What `quote` costs under this tariff.
    pub fn contribution(&self, quote: Quote) -> Contribution {
        let figure = self.figure_of(quote.income);
        let regular_jkk = percent_of(figure, self.jkk_percent).max(self.jkk_minimum);
        let jht = if quote.jht {
            percent_of(figure, self.jht_percent)
        } else {
            0
        };
        let month = |index: u32| {
            let day = quote.starts_on + Months::new(index);
            let discount = self.discount_on(quote.occupation, day);
            let keep = 100 - discount;
            let jkk = percent_of(regular_jkk, keep);
            let jkm = percent_of(self.jkm_monthly, keep);
            (jkk, jkm, discount)
        };
        let (jkk, jkm, discount_percent) = month(0);
        let period_total = (0..quote.months)
            .map(|index| {
                let (jkk, jkm, _) = month(index);
                jkk + jkm + jht
            })
            .sum();
        Contribution {
            jkk,
            jkm,
            jht,
            monthly_total: jkk + jkm + jht,
            period_total,
            tariff_version: self.version.clone(),
            regular_monthly_total: regular_jkk + self.jkm_monthly + jht,
            discount_percent,
        }
    }
}

/// `percent` % of `amount`, rounded half up to whole Rupiah.
fn percent_of(amount: u64, percent: u32) -> u64 {
    (amount * u64::from(percent) + 50) / 100
}

/// Whole Rupiah written the Indonesian way, points between thousands: `Rp16.800` (the console's
/// tables and the patient report; the window has its own in `ui/src/lib/rupiah.ts`).
pub fn rupiah(amount: u64) -> String {
    let digits = amount.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("Rp{grouped}")
}

/// The tariff among `tariffs` for cover starting on `day`: the latest `valid_from` not after
/// it (ties: the later in the list).
pub fn tariff_for(tariffs: &[Tariff], day: NaiveDate) -> Option<&Tariff> {
    tariffs
        .iter()
        .filter(|tariff| tariff.valid_from <= day)
        .max_by_key(|tariff| tariff.valid_from)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rupiah_is_grouped_with_points() {
        for (amount, expected) in [
            (0, "Rp0"),
            (800, "Rp800"),
            (6_800, "Rp6.800"),
            (16_800, "Rp16.800"),
            (213_800, "Rp213.800"),
            (1_000_000, "Rp1.000.000"),
        ] {
            assert_eq!(super::rupiah(amount), expected);
        }
    }

    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// "jkk jkm jht monthly period discount%" for a quote on the shipped tariff.
    fn check(
        income: u64,
        jht: bool,
        months: u32,
        occupation: Option<Occupation>,
        starts_on: &str,
        expected: &str,
    ) {
        let quote = Quote {
            income,
            jht,
            months,
            occupation,
            starts_on: day(starts_on),
        };
        let c = Tariff::bundled().contribution(quote);
        let actual = format!(
            "{} {} {} {} {} {}%",
            c.jkk, c.jkm, c.jht, c.monthly_total, c.period_total, c.discount_percent
        );
        assert_eq!(actual, expected, "for {quote:?}");
        assert_eq!(c.tariff_version, "2026.1");
    }

    const FARMER: Option<Occupation> = Some(Occupation::Farmer);
    const OJEK: Option<Occupation> = Some(Occupation::MotorcycleTaxi);
    const VENDOR: Option<Occupation> = Some(Occupation::StreetVendor);

    // Bands: bottom, a middle band, the top band and above it (after the discounts end).
    #[test]
    fn bottom_band_is_the_cheapest_package() {
        check(
            500_000,
            false,
            1,
            FARMER,
            "2027-04-01",
            "10000 6800 0 16800 16800 0%",
        );
    }
    #[test]
    fn income_of_exactly_the_lowest_figure() {
        check(
            1_000_000,
            false,
            1,
            FARMER,
            "2027-04-01",
            "10000 6800 0 16800 16800 0%",
        );
    }
    #[test]
    fn middle_band_counts_as_its_figure() {
        check(
            2_300_000,
            false,
            1,
            FARMER,
            "2027-04-01",
            "25000 6800 0 31800 31800 0%",
        );
    }
    #[test]
    fn top_band() {
        check(
            20_700_000,
            false,
            1,
            FARMER,
            "2027-04-01",
            "207000 6800 0 213800 213800 0%",
        );
    }
    #[test]
    fn above_the_top_band_is_capped() {
        check(
            90_000_000,
            false,
            1,
            FARMER,
            "2027-04-01",
            "207000 6800 0 213800 213800 0%",
        );
    }
    // JHT.
    #[test]
    fn with_jht_bottom() {
        check(
            1_000_000,
            true,
            1,
            FARMER,
            "2027-04-01",
            "10000 6800 20000 36800 36800 0%",
        );
    }
    #[test]
    fn with_jht_top() {
        check(
            30_000_000,
            true,
            1,
            FARMER,
            "2027-04-01",
            "207000 6800 414000 627800 627800 0%",
        );
    }
    // Periods.
    #[test]
    fn three_months() {
        check(
            1_000_000,
            false,
            3,
            FARMER,
            "2027-04-01",
            "10000 6800 0 16800 50400 0%",
        );
    }
    #[test]
    fn six_months() {
        check(
            1_000_000,
            true,
            6,
            FARMER,
            "2027-04-01",
            "10000 6800 20000 36800 220800 0%",
        );
    }
    #[test]
    fn twelve_months() {
        check(
            1_000_000,
            false,
            12,
            FARMER,
            "2027-04-01",
            "10000 6800 0 16800 201600 0%",
        );
    }
    // Discounts (PP 50/2025): inside, outside, across the end, JHT untouched, no occupation.
    #[test]
    fn transport_discount_inside_its_dates() {
        check(
            1_000_000,
            false,
            1,
            OJEK,
            "2026-01-01",
            "5000 3400 0 8400 8400 50%",
        );
    }
    #[test]
    fn transport_discount_last_month() {
        check(
            1_000_000,
            false,
            1,
            OJEK,
            "2027-03-31",
            "5000 3400 0 8400 8400 50%",
        );
    }
    #[test]
    fn transport_discount_after_its_dates() {
        check(
            1_000_000,
            false,
            1,
            OJEK,
            "2027-04-01",
            "10000 6800 0 16800 16800 0%",
        );
    }
    #[test]
    fn transport_discount_before_its_dates() {
        check(
            1_000_000,
            false,
            1,
            OJEK,
            "2025-12-31",
            "10000 6800 0 16800 16800 0%",
        );
    }
    #[test]
    fn period_across_the_discount_end() {
        // February and March 2027 discounted, April full.
        check(
            1_000_000,
            false,
            3,
            OJEK,
            "2027-02-01",
            "5000 3400 0 8400 33600 50%",
        );
    }
    #[test]
    fn discount_leaves_jht_whole() {
        check(
            1_000_000,
            true,
            1,
            OJEK,
            "2026-06-01",
            "5000 3400 20000 28400 28400 50%",
        );
    }
    #[test]
    fn the_unconfirmed_non_transport_discount_is_listed_but_not_applied() {
        // The shipped file lists it (April to December 2026, press reports only): a street
        // vendor still pays the lowest package, Rp16.800 a month.
        for (day, months, expected) in [
            ("2026-03-31", 1, "10000 6800 0 16800 16800 0%"),
            ("2026-04-01", 1, "10000 6800 0 16800 16800 0%"),
            ("2026-12-15", 2, "10000 6800 0 16800 33600 0%"),
        ] {
            check(1_000_000, false, months, VENDOR, day, expected);
        }
    }
    #[test]
    fn no_occupation_no_discount() {
        check(
            1_000_000,
            false,
            1,
            None,
            "2026-06-01",
            "10000 6800 0 16800 16800 0%",
        );
    }

    #[test]
    fn regular_total_ignores_the_discount() {
        let quote = Quote {
            income: 1_000_000,
            jht: false,
            months: 1,
            occupation: OJEK,
            starts_on: day("2026-06-01"),
        };
        assert_eq!(
            Tariff::bundled().contribution(quote).regular_monthly_total,
            16_800
        );
    }

    #[test]
    fn bundled_file_names_its_source_and_unconfirmed_rows() {
        let tariff = Tariff::bundled();
        assert!(tariff.source.contains("PP 44/2015"));
        assert!(tariff.bands.iter().any(|band| !band.confirmed));
        assert_eq!(tariff.bands.last().unwrap().figure, 20_700_000);
    }

    /// Refusals of a file: each names what is wrong.
    fn refused(text: &str, expected: &str) {
        let error = Tariff::parse(text).unwrap_err().to_string();
        assert!(
            error.contains(expected),
            "{error:?} should say {expected:?}"
        );
    }

    const HEAD: &str = "version = \"x\"\nvalid_from = \"2027-01-01\"\nsource = \"s\"\n\
        jkk_percent = 1\njkk_minimum = 10000\njkm_monthly = 6800\njht_percent = 2\n";

    #[test]
    fn refuses_bad_files() {
        refused("", "missing field");
        refused(&format!("{HEAD}bands = []"), "bands must not be empty");
        refused(
            &format!("{HEAD}[[bands]]\nup_to = 2\nfigure = 2\nconfirmed = true\n[[bands]]\nup_to = 1\nfigure = 1\nconfirmed = true\n"),
            "ascend",
        );
        refused(&format!("{HEAD}extra = 1\nbands = []"), "unknown field");
        refused(
            &format!("{HEAD}[[bands]]\nup_to = 1\nfigure = 1\nconfirmed = true\n[[discounts]]\nname = \"d\"\noccupations = [\"pilot\"]\nfrom = \"2027-01-01\"\nto = \"2027-02-01\"\npercent = 50\nconfirmed = true\n"),
            "pilot",
        );
    }

    #[test]
    fn picks_the_tariff_in_force() {
        let old = Tariff::bundled();
        let mut new = Tariff::bundled();
        new.version = "2027.1".into();
        new.valid_from = day("2027-01-01");
        let tariffs = [old, new];
        assert_eq!(
            tariff_for(&tariffs, day("2026-12-31")).unwrap().version,
            "2026.1"
        );
        assert_eq!(
            tariff_for(&tariffs, day("2027-01-01")).unwrap().version,
            "2027.1"
        );
        assert!(tariff_for(&tariffs, day("2025-12-31")).is_none());
    }
}
