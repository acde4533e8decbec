"""Seeds a benchmark database with N users sharing one real argon2id hash.

Usage: seed.py DATABASE_FILE COUNT PHC_HASH
The server has already created the schema; hashing 10,000 passwords for
real would take minutes and measure nothing the log-in run does not.
"""
import sqlite3
import sys

path, count, phc = sys.argv[1], int(sys.argv[2]), sys.argv[3]
db = sqlite3.connect(path)
db.executemany(
    "INSERT INTO users (email, email_key, password_hash, display_name) VALUES (?, ?, ?, ?)",
    ((f"user{i}@example.com", f"user{i}@example.com", phc, f"User {i}") for i in range(count)),
)
db.commit()
print(db.execute("SELECT count(*) FROM users").fetchone()[0])
