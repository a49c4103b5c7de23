"""Pure analysis functions over the unit x financial-year panel: measures, growth,
programme groups, projections and reconciliation with published figures."""
