"""Recipients (服务对象): the residents a station's teams serve."""
