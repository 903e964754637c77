//! The closed value lists of the record contract (sex, segment, case category, place type,
//! consent, disposition, outcome). Each enum's `as_str` is its contract text, which is also its
//! serde form, its form `value` and its CLI spelling; `ALL` lists the values in form order.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Lets input reading treat every choice enum alike.
pub(crate) trait Choice: Copy + 'static {
    fn all() -> &'static [Self];
    fn text(&self) -> &'static str;
}

macro_rules! choice_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name {
            $(#[doc = concat!("Written `", $text, "`.")] #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            /// Every value, in form order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The contract text of this value.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value whose contract text is `text` (exactly).
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Choice for $name {
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn text(&self) -> &'static str {
                self.as_str()
            }
        }
    };
}

choice_enum! {
    /// Sex as on the KTP; the NIK encodes it (day of birth + 40 for women).
    Sex {
        Male => "male",
        Female => "female",
    }
}

choice_enum! {
    /// Participant segment: wage earners, informal workers, construction, migrant workers.
    Segment {
        Pu => "PU",
        Bpu => "BPU",
        Jakon => "JAKON",
        Pmi => "PMI",
    }
}

choice_enum! {
    /// What kind of case the desk suspects.
    CaseCategory {
        WorkAccident => "work_accident",
        CommutingAccident => "commuting_accident",
        OccupationalDisease => "occupational_disease",
        WorkplaceViolence => "workplace_violence",
    }
}

choice_enum! {
    /// Where it happened; `traffic` cases need a police report for the claim.
    PlaceType {
        Workplace => "workplace",
        OutsideWorkplace => "outside_workplace",
        Traffic => "traffic",
    }
}

choice_enum! {
    /// Who agreed to disclosure to BPJS Ketenagakerjaan as payer.
    Consent {
        Patient => "patient",
        Family => "family",
        Pending => "pending",
    }
}

choice_enum! {
    /// Where the patient goes after this note.
    Disposition {
        OutpatientWorking => "outpatient_working",
        OutpatientOffWork => "outpatient_off_work",
        Inpatient => "inpatient",
        Referred => "referred",
        Discharged => "discharged",
        Died => "died",
    }
}

choice_enum! {
    /// How treatment ended (doctor's certificate 3b KK3); a case with an outcome is closed.
    Outcome {
        Recovered => "recovered",
        TotalPermanentDisability => "total_permanent_disability",
        PartialAnatomicalDisability => "partial_anatomical_disability",
        PartialFunctionalDisability => "partial_functional_disability",
        Died => "died",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str`, serde and `parse` must agree for every value.
    fn check<T>(all: &[T], expected: &str)
    where
        T: Serialize + for<'de> Deserialize<'de> + fmt::Display + PartialEq + fmt::Debug,
    {
        let mut texts = Vec::new();
        for value in all {
            let json = serde_json::to_value(value).unwrap();
            assert_eq!(
                json,
                serde_json::Value::String(value.to_string()),
                "serde form is as_str"
            );
            let back: T = serde_json::from_value(json).unwrap();
            assert_eq!(&back, value);
            texts.push(value.to_string());
        }
        assert_eq!(texts.join(" "), expected);
    }

    #[test]
    fn sex() {
        check(Sex::ALL, "male female");
    }
    #[test]
    fn segment_is_upper_case() {
        check(Segment::ALL, "PU BPU JAKON PMI");
    }
    #[test]
    fn case_category() {
        check(
            CaseCategory::ALL,
            "work_accident commuting_accident occupational_disease workplace_violence",
        );
    }
    #[test]
    fn place_type() {
        check(PlaceType::ALL, "workplace outside_workplace traffic");
    }
    #[test]
    fn consent() {
        check(Consent::ALL, "patient family pending");
    }
    #[test]
    fn disposition() {
        check(
            Disposition::ALL,
            "outpatient_working outpatient_off_work inpatient referred discharged died",
        );
    }
    #[test]
    fn outcome() {
        check(
            Outcome::ALL,
            "recovered total_permanent_disability partial_anatomical_disability \
             partial_functional_disability died",
        );
    }
    #[test]
    fn parse_is_exact() {
        assert_eq!(Segment::parse("JAKON"), Some(Segment::Jakon));
        assert_eq!(
            Segment::parse("jakon"),
            None,
            "parse is exact; input reading ignores case"
        );
    }
}
