"""The working-day calendar: Chinese statutory holidays and make-up working days (调休), kept in a table."""
