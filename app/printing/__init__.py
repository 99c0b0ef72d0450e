"""Official print forms (issue 9): the unit profile, 审批表, 户籍证明, 补正告知书 and the page-loan form."""
