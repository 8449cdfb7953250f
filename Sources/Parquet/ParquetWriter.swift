/// Apache Parquet files written natively: no Parquet library is available.
public enum ParquetModule {}
