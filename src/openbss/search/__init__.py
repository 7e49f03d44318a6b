"""Finding a customer from whatever the caller has: a name, a 身份证 or credit code, a phone
number, an account number or a product number (the CSR's and the portal's search box)."""
