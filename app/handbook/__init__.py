"""The office handbook (SOP): one page per application type from the workflow table and the checklists."""
