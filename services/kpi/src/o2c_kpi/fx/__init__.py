"""FX reference rates held as data (ECB import, hand-set rates) and the converter that consolidates money in a
reporting currency (docs/kpi.md, "FX rates and the reporting currency")."""
