const pool = "stratum+tcp://pool.example:3333";
connect(pool);
