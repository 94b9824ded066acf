"""Keeping the directory true: when each listing was last confirmed (verify), what the public says
is wrong with one (reports, with flood limits shared by every app replica), and what each region's
editors should look at (the review queue: open reports, listings past their verification age,
listings an import retired), each action audited."""
