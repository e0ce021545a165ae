#pragma once

// Everything needed to declare a DTO and turn it into and out of JSON:
//   struct CreateItem { std::string name; };
//   BOOST_DESCRIBE_STRUCT(CreateItem, (), (name))
//   MMX_DTO_CONSTRAINTS(CreateItem, (name, length(1, 100)))
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include "mmx/dto/constraints.hpp"
#include "mmx/dto/errors.hpp"
#include "mmx/dto/parse.hpp"
#include "mmx/dto/schema.hpp"
#include "mmx/dto/serialize.hpp"
#include "mmx/dto/time.hpp"
#include "mmx/dto/type_name.hpp"
#include "mmx/dto/validate.hpp"
