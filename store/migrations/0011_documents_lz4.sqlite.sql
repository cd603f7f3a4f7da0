-- PostgreSQL only (the compression of stored documents); nothing to do here.
SELECT 1;
