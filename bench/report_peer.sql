-- The peer of bench_report.sh: the aggregates of `postwardenctl audit report` (audit/report.c) as
-- plain SQL for the sqlite3 shell, on the same file and period (:since/:until are replaced by the
-- script). Each statement reads what the report reads; SQL GROUP BY does what the report tallies
-- in C in its one pass. No chain walk: SQLite has no SHA-256 (the report's verification runs on a
-- second core meanwhile; bench_audit measures it alone).
.output /dev/null
-- totals per kind and verdict, company and personal
SELECT kind, action, company, count(*), min(time_us), max(time_us), sum(redacted_us IS NOT NULL)
  FROM events WHERE time_us >= :since AND time_us < :until GROUP BY kind, action, company;
-- the timeline, one bucket per UTC day
SELECT time_us / 86400000000, kind, action, count(*) FROM events
  WHERE time_us >= :since AND time_us < :until
    AND kind IN ('post_attempt', 'override', 'auth_block') GROUP BY 1, 2, 3;
-- sites and policies
SELECT site, count(*) FROM events WHERE time_us >= :since AND time_us < :until
  AND kind IN ('post_attempt', 'override', 'auth_block') GROUP BY site ORDER BY 2 DESC LIMIT 15;
SELECT policy_id, count(*), min(time_us), max(time_us) FROM events
  WHERE time_us >= :since AND time_us < :until
    AND kind IN ('post_attempt', 'override', 'auth_block') GROUP BY policy_id ORDER BY 2 DESC LIMIT 15;
-- per company account and session
SELECT account_id, session_id, kind, action, count(*) FROM events
  WHERE time_us >= :since AND time_us < :until AND company = 1
    AND kind IN ('post_attempt', 'override', 'auth_block') GROUP BY 1, 2, 3, 4;
-- rules and categories
SELECT f.rule_id, f.category, count(*), count(DISTINCT f.event_seq),
       count(DISTINCT CASE WHEN e.kind = 'override' THEN f.event_seq END)
  FROM events e JOIN findings f ON f.event_seq = e.seq
  WHERE e.time_us >= :since AND e.time_us < :until GROUP BY 1, 2 ORDER BY 3 DESC;
-- company accounts and the latest sessions that used them
SELECT id, site, handle, display_name, policy_name, stable_id FROM accounts WHERE company = 1;
SELECT * FROM (SELECT l.account_id, count(*) OVER (PARTITION BY l.account_id), l.session_id,
  l.rule, l.first_us, l.last_us, s.user, s.uid, s.host, s.tty, s.rhost, s.service, s.opened_us,
  s.closed_us, s.src, row_number() OVER (PARTITION BY l.account_id ORDER BY l.last_us DESC,
  l.id DESC) AS rn FROM session_accounts l JOIN accounts a ON a.id = l.account_id AND a.company = 1
  JOIN sessions s ON s.id = l.session_id WHERE l.last_us >= :since AND l.first_us < :until)
  WHERE rn <= 20 ORDER BY 1, rn;
-- the latest overrides and refused uses
SELECT e.seq, e.time_us, e.site, e.action, e.mode, e.company, e.peer_uid, s.user, s.host, a.handle,
  (SELECT group_concat(rule_id, ' ') FROM (SELECT rule_id FROM findings WHERE event_seq = e.seq
  ORDER BY ord)), e.justification, e.redacted_us IS NOT NULL
  FROM events e LEFT JOIN sessions s ON s.id = e.session_id
  LEFT JOIN accounts a ON a.id = e.account_id AND a.company = 1
  WHERE e.kind = 'override' AND e.time_us >= :since AND e.time_us < :until
  ORDER BY e.time_us DESC, e.seq DESC LIMIT 50;
SELECT e.seq, e.time_us, e.site, s.user, s.host, a.handle FROM events e
  LEFT JOIN sessions s ON s.id = e.session_id
  LEFT JOIN accounts a ON a.id = e.account_id AND a.company = 1
  WHERE e.kind = 'auth_block' AND e.time_us >= :since AND e.time_us < :until
  ORDER BY e.time_us DESC, e.seq DESC LIMIT 50;
-- sessions, hosts, archive, the store
SELECT count(*), count(DISTINCT user) FROM sessions
  WHERE opened_us < :until AND (closed_us IS NULL OR closed_us >= :since);
SELECT host, count(*) FROM sessions WHERE opened_us < :until
  AND (closed_us IS NULL OR closed_us >= :since) GROUP BY host ORDER BY 2 DESC, 1;
SELECT count(*) FROM archive x JOIN events e ON e.seq = x.event_seq
  WHERE e.time_us >= :since AND e.time_us < :until;
SELECT (SELECT count(*) FROM events), (SELECT min(time_us) FROM events),
  (SELECT max(time_us) FROM events);
