"""Patient accounts screens (issue 17): the A/R aging view, reached from the Reports desk."""
