-- Lockout times in Unix milliseconds (were seconds). With whole seconds, a lock of 1 s that
-- started at 10.9 s ended at 11.0 s: every lock was up to a second shorter than the policy
-- said. Existing rows are converted in place, so a lock in force stays in force.
UPDATE login_failures SET last_failure = last_failure * 1000, locked_until = locked_until * 1000;
