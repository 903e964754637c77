//! A BPU registration on the wire (issue 11): the payload of a `bpu_registration` entry
//! ([`BpuPayload`]: the record as typed, the contribution the desk computed, who and when) and the
//! branch's decision as the changes feed carries it ([`BpuDecision`]). The record travels as
//! typed fields of scalars (text, numbers, the programmes as a short list of texts, the optional
//! `on_behalf_of` pair); the branch validates it with `plkk_domain::validate_bpu` and recomputes
//! the contribution with the tariff version the desk names.

use chrono::{DateTime, FixedOffset, Utc};
use plkk_domain::{BpuRegistration, Contribution, JsonObject};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::payload::Number;

/// Who brought the person in, as it travels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OnBehalfOfRecord {
    /// Their name, as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Their phone number, as typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A registration's fields as typed (`plkk_domain::BPU_FIELDS`); limits
/// `plkk_domain::limits::BPU_REGISTRATION`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BpuRecord {
    /// The registration's `id`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The registration's `nik`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nik: Option<String>,
    /// The registration's `full_name`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// The registration's `sex`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    /// The registration's `birth_date`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// The registration's `phone`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The registration's `address`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The registration's `occupation`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation: Option<String>,
    /// The registration's `occupation_detail`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupation_detail: Option<String>,
    /// `declared_income`: whole Rupiah a month, a number (or digits as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<u64>))]
    pub declared_income: Option<Number>,
    /// At most 3 programmes (`jkk`, `jkm`, `jht`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "programmes"
    )]
    pub programmes: Option<Vec<String>>,
    /// `period_months`: 1, 3, 6 or 12, a number (or digits as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<u32>))]
    pub period_months: Option<Number>,
    /// The registration's `starts_on`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<String>,
    /// The registration's `heir_name`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heir_name: Option<String>,
    /// The registration's `heir_relation`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heir_relation: Option<String>,
    /// The registration's `heir_phone`, as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heir_phone: Option<String>,
    /// `on_behalf_of`: who brought the person in and pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<OnBehalfOfRecord>,
    /// `consent`: must be `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<bool>,
}

fn programmes<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    crate::bounded::vec::<_, _, 3>(deserializer).map(Some)
}

impl BpuRecord {
    /// The record of a saved registration.
    pub fn of(registration: &BpuRegistration) -> BpuRecord {
        let on_behalf_of = registration
            .on_behalf_of
            .as_ref()
            .map(|someone| OnBehalfOfRecord {
                name: Some(someone.name.clone()),
                phone: someone.phone.clone(),
            });
        BpuRecord {
            id: Some(registration.id.to_string()),
            nik: Some(registration.nik.clone()),
            full_name: Some(registration.full_name.clone()),
            sex: Some(registration.sex.to_string()),
            birth_date: Some(registration.birth_date.to_string()),
            phone: Some(registration.phone.clone()),
            address: Some(registration.address.clone()),
            occupation: Some(registration.occupation.to_string()),
            occupation_detail: registration.occupation_detail.clone(),
            declared_income: Some(Number::Number(registration.declared_income.into())),
            programmes: Some(
                registration
                    .programmes
                    .iter()
                    .map(|programme| programme.to_string())
                    .collect(),
            ),
            period_months: Some(Number::Number(registration.period_months.into())),
            starts_on: Some(registration.starts_on.to_string()),
            heir_name: Some(registration.heir_name.clone()),
            heir_relation: Some(registration.heir_relation.to_string()),
            heir_phone: registration.heir_phone.clone(),
            on_behalf_of,
            consent: Some(registration.consent),
        }
    }

    /// The input of `plkk_domain::validate_bpu`.
    pub fn to_object(&self) -> JsonObject {
        match serde_json::to_value(self) {
            Ok(Value::Object(object)) => object,
            _ => JsonObject::new(),
        }
    }
}

/// The contribution as the desk computed it, whole Rupiah (see `plkk_domain::Contribution`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BpuContribution {
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
    /// The tariff version it was computed with.
    pub tariff_version: String,
    /// A month without discount, whole Rupiah.
    #[serde(default)]
    pub regular_monthly_total: u64,
    /// The first month's discount, percent (0 when none).
    #[serde(default)]
    pub discount_percent: u32,
}

impl BpuContribution {
    /// The contribution as it travels.
    pub fn of(contribution: &Contribution) -> BpuContribution {
        BpuContribution {
            jkk: contribution.jkk,
            jkm: contribution.jkm,
            jht: contribution.jht,
            monthly_total: contribution.monthly_total,
            period_total: contribution.period_total,
            tariff_version: contribution.tariff_version.clone(),
            regular_monthly_total: contribution.regular_monthly_total,
            discount_percent: contribution.discount_percent,
        }
    }

    /// The domain's contribution, to compare with the one recomputed.
    pub fn to_domain(&self) -> Contribution {
        Contribution {
            jkk: self.jkk,
            jkm: self.jkm,
            jht: self.jht,
            monthly_total: self.monthly_total,
            period_total: self.period_total,
            tariff_version: self.tariff_version.clone(),
            regular_monthly_total: self.regular_monthly_total,
            discount_percent: self.discount_percent,
        }
    }
}

/// The payload of a `bpu_registration` entry. The entry's `record_id` and `intake_id` are both
/// the registration's id (a registration belongs to no case).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BpuPayload {
    /// The record as typed.
    pub registration: BpuRecord,
    /// The contribution the desk computed.
    pub contribution: BpuContribution,
    /// The username of who registered the person.
    pub author: String,
    /// The desk's clock when it was saved.
    pub written_at: DateTime<FixedOffset>,
}

/// Where a registration stands at the branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BpuStatus {
    /// Waiting for an officer's decision (diajukan).
    Submitted,
    /// Registered: the participant has a KPJ.
    Registered,
    /// Refused, with a reason.
    Rejected,
}

impl BpuStatus {
    /// Every status.
    pub const ALL: [BpuStatus; 3] = [
        BpuStatus::Submitted,
        BpuStatus::Registered,
        BpuStatus::Rejected,
    ];

    /// The status's one spelling: `submitted`, `registered`, `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            BpuStatus::Submitted => "submitted",
            BpuStatus::Registered => "registered",
            BpuStatus::Rejected => "rejected",
        }
    }

    /// The status spelled `text` (exactly).
    pub fn parse(text: &str) -> Option<BpuStatus> {
        BpuStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// An officer's decision on a registration, as a change of the feed carries it: who it is
/// about (`nik`, `full_name`, so a desk of the clinic that did not register them knows the
/// participant too), the KPJ when registered, the reason when rejected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BpuDecision {
    /// The registration decided on.
    pub registration_id: Uuid,
    /// The person's NIK.
    pub nik: String,
    /// The person's name.
    pub full_name: String,
    /// `registered` or `rejected`.
    pub status: BpuStatus,
    /// The membership number assigned, when registered.
    pub kpj: Option<String>,
    /// Why, when rejected.
    pub reason: Option<String>,
    /// When the officer decided (the branch's clock).
    pub decided_at: DateTime<Utc>,
}

/// A reference file as the branch publishes it: `name` says what it is (`bpu_tariff`), `text`
/// is the file itself (at most 256 KiB), read by the desk with `plkk_domain::Tariff::parse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReferenceFile {
    /// What the file is: `bpu_tariff`.
    pub name: String,
    /// The version the file states.
    pub version: String,
    /// The file itself.
    pub text: String,
}

/// The `name` of a BPU tariff reference file.
pub const BPU_TARIFF: &str = "bpu_tariff";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_into_the_same_registration() {
        let input = serde_json::json!({
            "nik": "3216055708900003", "full_name": "Siti Rahmawati", "sex": "female",
            "birth_date": "1990-08-17", "phone": "081234567890", "address": "Cikarang",
            "occupation": "street_vendor", "declared_income": 1500000,
            "programmes": ["jkk", "jkm"], "period_months": 3, "starts_on": "2026-11-24",
            "heir_name": "Budi", "heir_relation": "spouse",
            "on_behalf_of": {"name": "Bu Ani"}, "consent": true
        });
        let today = "2026-11-24".parse().unwrap();
        let registration =
            plkk_domain::validate_bpu(input.as_object().unwrap(), Uuid::now_v7(), today)
                .unwrap()
                .record;
        let record = BpuRecord::of(&registration);
        let wire = serde_json::to_string(&record).unwrap();
        let back: BpuRecord = serde_json::from_str(&wire).unwrap();
        let again = plkk_domain::validate_bpu(&back.to_object(), Uuid::nil(), today)
            .unwrap()
            .record;
        assert_eq!(again, registration);
    }

    #[test]
    fn a_long_programme_list_stops_the_parse() {
        let wire = r#"{"programmes": ["jkk", "jkm", "jht", "jkk"]}"#;
        assert!(serde_json::from_str::<BpuRecord>(wire).is_err());
        let nested = r#"{"nik": {"a": 1}}"#;
        assert!(serde_json::from_str::<BpuRecord>(nested).is_err());
    }
}
