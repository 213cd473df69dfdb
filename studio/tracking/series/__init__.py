"""Series: every time series Studio keeps (a run's metrics, later a tensor's statistics and an
endpoint's latency), stored as chunks of compressed points with a min/max pyramid, so that
any view of a series of any length is read in milliseconds (DESIGN.md, "Series").

- `codec`: the compressed payload of a chunk or a pyramid block;
- `pyramid`: bucket summaries, how they merge, which level a read uses;
- `orm`: the tables (revision 0005);
- `blocks`: the pyramid's rows;
- `source`: what one read sees of one series, and the bucket cover of a range;
- `store`: `intern`, `append`, `read`, `delete_owned`, inside a store session;
- `many`: `append_many`, `find`, `list_owned`: many series of one owner at once.
"""
