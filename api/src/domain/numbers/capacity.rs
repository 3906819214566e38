//! Capacity arithmetic: counts by status, utilisation, the last 30 days' assignment rate and
//! the days until a group runs out at that rate.

use shared::numbers::{CapacityGroup, CapacityScope, NumberStatus};

/// The window the assignment rate is measured over.
pub const RATE_WINDOW_DAYS: u32 = 30;

/// Counts gathered for one group.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    pub available: u64,
    pub reserved: u64,
    pub assigned: u64,
    pub aging: u64,
    pub assigned_last_30_days: u64,
}

impl Tally {
    pub fn add(&mut self, status: NumberStatus, count: u64) {
        match status {
            NumberStatus::Available => self.available += count,
            NumberStatus::Reserved => self.reserved += count,
            NumberStatus::Assigned => self.assigned += count,
            NumberStatus::Aging => self.aging += count,
        }
    }

    pub fn total(&self) -> u64 {
        self.available + self.reserved + self.assigned + self.aging
    }

    /// The group as the API shows it. Low stock: fewer available than `threshold`.
    pub fn group(
        &self,
        scope: CapacityScope,
        key: String,
        label: String,
        threshold: u64,
    ) -> CapacityGroup {
        let total = self.total();
        let in_use = self.assigned + self.reserved;
        let utilisation = if total == 0 {
            0.0
        } else {
            in_use as f64 / total as f64
        };
        let per_day = self.assigned_last_30_days as f64 / f64::from(RATE_WINDOW_DAYS);
        let days_until_exhausted = (per_day > 0.0).then(|| {
            let days = self.available as f64 / per_day;
            (days * 10.0).round() / 10.0
        });
        CapacityGroup {
            scope,
            key,
            label,
            total,
            available: self.available,
            reserved: self.reserved,
            assigned: self.assigned,
            aging: self.aging,
            utilisation: (utilisation * 1000.0).round() / 1000.0,
            assigned_last_30_days: self.assigned_last_30_days,
            days_until_exhausted,
            low_stock: self.available < threshold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utilisation_rate_and_forecast() {
        let mut t = Tally::default();
        t.add(NumberStatus::Available, 60);
        t.add(NumberStatus::Assigned, 30);
        t.add(NumberStatus::Reserved, 5);
        t.add(NumberStatus::Aging, 5);
        t.assigned_last_30_days = 30;
        let g = t.group(CapacityScope::Block, "b".into(), "B".into(), 10);
        assert_eq!(g.total, 100);
        assert_eq!(g.utilisation, 0.35);
        // One a day: 60 available last 60 days.
        assert_eq!(g.days_until_exhausted, Some(60.0));
        assert!(!g.low_stock);
        let g = t.group(CapacityScope::Block, "b".into(), "B".into(), 61);
        assert!(g.low_stock);
    }

    #[test]
    fn no_recent_assignments_means_no_forecast() {
        let mut t = Tally::default();
        t.add(NumberStatus::Available, 5);
        let g = t.group(CapacityScope::Country, "US".into(), "US".into(), 10);
        assert_eq!(g.days_until_exhausted, None);
        assert_eq!(g.utilisation, 0.0);
        assert!(g.low_stock);
    }
}
