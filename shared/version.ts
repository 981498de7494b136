/** The service version reported in every REST envelope and health answer. */
export const serviceVersion = "1.9.0";
